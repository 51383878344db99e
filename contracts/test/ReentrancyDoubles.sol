// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @dev Test double: one armed call back into a target, made while a transfer is under way.
/// The outcome is recorded; with `bubble` a failed call back reverts the whole transfer with
/// the target's error, without it the transfer goes on and the error can be read afterwards.
abstract contract CallbackAttempt {
    address public callbackTarget;
    bytes public callbackData;
    bool public bubble;
    bool public attempted;
    bool public succeeded;
    bytes public result;

    function arm(address target, bytes calldata data, bool bubble_) external {
        callbackTarget = target;
        callbackData = data;
        bubble = bubble_;
    }

    /// @dev Fires once: disarms before calling, so the call back cannot recurse through it.
    function _fire() internal {
        address target = callbackTarget;
        if (target == address(0)) return;
        callbackTarget = address(0);
        attempted = true;
        (bool ok, bytes memory returned) = target.call(callbackData);
        succeeded = ok;
        result = returned;
        if (!ok && bubble) {
            assembly ("memory-safe") {
                revert(add(returned, 0x20), mload(returned))
            }
        }
    }
}

/// @dev A recipient that token hooks (ERC-777 / ERC-1363 style) notify of incoming tokens.
interface ITokenRecipientHook {
    function onTokensReceived(address from, uint256 amount) external;
}

/// @dev Test double: an ERC20 whose transfers can call back. It notifies recipients that asked
/// for it (a hook token), and, armed, calls back itself on the next transfer out of the target
/// (a token that is itself hostile).
contract CallbackToken is ERC20, CallbackAttempt {
    mapping(address => bool) public notifies;

    constructor() ERC20("Callback", "CALL") {}

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function setNotifies(address recipient, bool on) external {
        notifies[recipient] = on;
    }

    function _update(address from, address to, uint256 value) internal override {
        super._update(from, to, value);
        if (from != address(0) && from == callbackTarget) _fire();
        if (notifies[to]) ITokenRecipientHook(to).onTokensReceived(from, value);
    }
}

/// @dev Test double: a claim recipient that calls back into the distributor when notified.
contract ReentrantRecipient is ITokenRecipientHook, CallbackAttempt {
    uint256 public notifications;

    function onTokensReceived(address, uint256) external {
        ++notifications;
        _fire();
    }
}
