"""OpenMerit's scoring engine: what a contribution is worth, recomputable by anyone.

Pure Python + numpy, no I/O: functions take bytes, arrays and models and return models.
Formats: predictions and answers in `predictions.py`, labels in `label_format.py`, the epoch report
in `report.py`. `epoch.score_epoch` scores a whole epoch; `recompute.report_differences` recomputes a report,
and `recompute.audit_report` checks it against what the chain says of its epoch.
"""

# Bumped whenever a rule or a default changes a number in a report.
SCORING_VERSION = "2.1.0"  # 2.1: annotators labelling mostly the same items are judged as a bloc
