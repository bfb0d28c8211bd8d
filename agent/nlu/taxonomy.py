"""The intent taxonomy: fine labels the classifier predicts, and the agent-level intent the policy acts on.

Fine labels are bitext's 27 customer-service intents plus what an online-store bot meets that bitext
lacks (small talk, product search, coupons, returning goods, store policies, out of scope). The policy
knows a handful of coarse intents; `AGENT_INTENT` folds every fine label into one of them, and the fine
label travels alongside (`NLUResult.fine_intent`) so the policy can learn finer moves later.
"""

from __future__ import annotations

from agent.intents import NO_TASK_INTENTS

BITEXT_INTENTS: tuple[str, ...] = (
    "cancel_order",
    "change_order",
    "change_shipping_address",
    "check_cancellation_fee",
    "check_invoice",
    "check_payment_methods",
    "check_refund_policy",
    "complaint",
    "contact_customer_service",
    "contact_human_agent",
    "create_account",
    "delete_account",
    "delivery_options",
    "delivery_period",
    "edit_account",
    "get_invoice",
    "get_refund",
    "newsletter_subscription",
    "payment_issue",
    "place_order",
    "recover_password",
    "registration_problems",
    "review",
    "set_up_shipping_address",
    "switch_account",
    "track_order",
    "track_refund",
)

# What a store bot needs beyond bitext. `return_item` is sending goods back (bitext's `get_refund` is
# about money); `store_policy` covers warranty, price protection, membership and privacy questions.
EXTRA_INTENTS: tuple[str, ...] = (
    "greeting",
    "thanks",
    "goodbye",
    "affirm",
    "deny",
    "product_search",
    "coupon_question",
    "return_item",
    "store_policy",
    "other",
)

FINE_INTENTS: tuple[str, ...] = BITEXT_INTENTS + EXTRA_INTENTS

# The intents `agent.policy` acts on today (`agent.nlu.INTENTS` is this tuple).
AGENT_INTENTS: tuple[str, ...] = (
    "order_status",
    "return_request",
    "policy_question",
    "product_search",
    "coupon_question",
    "human",
    "complaint",
    "greeting",
    "thanks",
    "goodbye",
    "affirm",
    "deny",
    "other",
)

AGENT_INTENT: dict[str, str] = {
    # orders and refunds the customer already has: look them up
    "track_order": "order_status",
    "track_refund": "order_status",
    # act on goods / money: the return flow
    "return_item": "return_request",
    "get_refund": "return_request",
    # how-to and rules: answered from the policy documents
    "cancel_order": "policy_question",
    "change_order": "policy_question",
    "change_shipping_address": "policy_question",
    "check_cancellation_fee": "policy_question",
    "check_invoice": "policy_question",
    "get_invoice": "policy_question",
    "check_payment_methods": "policy_question",
    "payment_issue": "policy_question",
    "check_refund_policy": "policy_question",
    "delivery_options": "policy_question",
    "delivery_period": "policy_question",
    "set_up_shipping_address": "policy_question",
    "create_account": "policy_question",
    "delete_account": "policy_question",
    "edit_account": "policy_question",
    "recover_password": "policy_question",
    "registration_problems": "policy_question",
    "switch_account": "policy_question",
    "newsletter_subscription": "policy_question",
    "place_order": "policy_question",
    "review": "policy_question",
    "store_policy": "policy_question",
    # people
    "contact_human_agent": "human",
    "contact_customer_service": "human",
    "complaint": "complaint",
    # the rest map to themselves
    "product_search": "product_search",
    "coupon_question": "coupon_question",
    "greeting": "greeting",
    "thanks": "thanks",
    "goodbye": "goodbye",
    "affirm": "affirm",
    "deny": "deny",
    "other": "other",
}

# Agent intents that carry no task: dropped from `others` when a task intent is present.
SOCIAL = NO_TASK_INTENTS

assert set(AGENT_INTENT) == set(FINE_INTENTS), "every fine intent needs an agent-level intent"
assert set(AGENT_INTENT.values()) <= set(AGENT_INTENTS)


def agent_intent(fine: str) -> str:
    """The agent-level intent of a fine label; unknown labels are `other`."""
    return AGENT_INTENT.get(fine, "other")
