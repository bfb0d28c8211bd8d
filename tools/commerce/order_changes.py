"""`OrderChangeTool`: what a customer wants done with an order before it ships, within the store's shipping rules.

A courier ("请给我发顺丰", "ship it with SF instead"), a courier to avoid ("不想发中通"), a ship-later date ("10号以后再
发", "don't ship before the 10th"), a cancellation ("不要发了", "cancel my order"), two orders in one parcel ("两个订单
能一起发吗") or an order's items in separate parcels ("ship the items separately"). The wish is read by the NLU (the
`order_wish` slot, `agent.nlu.order_wishes`); the order is the one named in the message, or the one just discussed,
or else the customer's only order that has not shipped (several: the bot asks which).

The rules are the store's (knowledge/docs/*/shipping.md and order_changes.md say the same, with these numbers):
only before the order ships; only the couriers the store uses (`STORE_COURIERS`); a ship-later date at most
`MAX_SHIP_DELAY_DAYS` days after the day the customer asks; two orders travel together only when both are unshipped
and go to the same address; an order is split only when it has more than one item. The customer's own orders only
(`owned_order`: signed identity, or the order's id with its phone or email): anyone else's order reveals nothing.

Every change is confirmed first: the bot states exactly what it will record and asks; a yes in the next turn records
it on the order (`order_wishes`, what operators see on the order) and emits `OrderWishRecorded`, or, for a
cancellation, cancels the order (its units back in stock, its unexpired coupons back to the customer, the refund due
stated) and emits `OrderCancelled` — the only event that licenses "your order is cancelled". What cannot be done is
explained with the reason (already shipped, with the carrier and tracking number; a courier the store does not use;
a date too far), and nothing is recorded.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, ClassVar, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field

from agent.events import Event
from agent.nlu.order_wishes import ship_date
from agent.policy import Decision, Turn, clarification
from agent.protocols import Phrasebook, ToolContext, ToolError, ToolReply, ToolResult
from agent.tooling import BaseTool
from tools.commerce.orders import CONTACT_ASK, CONTACT_SLOTS, ORDER_ID_PATTERN, owned_order
from tools.commerce.ports import OrderAlreadyShipped, OrderChangeRepository, OrderRepository, OrderView

# The store's rules: the couriers it ships with, and how far a shipment may be put off.
STORE_COURIERS: dict[str, tuple[str, str]] = {"sf": ("顺丰速运", "SF Express"), "jd": ("京东物流", "JD Logistics"),
                                              "zto": ("中通快递", "ZTO Express")}
MAX_SHIP_DELAY_DAYS = 14
# couriers shoppers name that the store does not use, by name
OTHER_COURIERS: dict[str, tuple[str, str]] = {
    "yto": ("圆通速递", "YTO Express"), "sto": ("申通快递", "STO Express"), "yunda": ("韵达快递", "Yunda Express"),
    "ems": ("中国邮政 EMS", "China Post (EMS)"), "best": ("百世快递", "Best Express"), "deppon": ("德邦快递", "Deppon"),
    "jt": ("极兔速递", "J&T Express"), "ups": ("UPS", "UPS"), "fedex": ("FedEx", "FedEx"), "dhl": ("DHL", "DHL"),
    "usps": ("USPS", "USPS"),
}
CHANGES = ("courier", "avoid_courier", "ship_after", "cancel", "ship_together", "ship_separately")
UNSHIPPED = ("pending_payment", "paid")
OPEN_ORDERS_LOOKED_AT = 20  # the customer's latest orders searched for their only unshipped one


@dataclass(kw_only=True, slots=True)
class OrderWishRecorded(Event):
    """A wish recorded on an order after the customer confirmed it (the console's timeline shows it)."""

    type: ClassVar[str] = "order_wish_recorded"
    order_id: str
    kind: str
    value: str = ""
    wish_id: int = 0


@dataclass(kw_only=True, slots=True)
class OrderCancelled(Event):
    """An order cancelled before it shipped, after the customer confirmed: what licenses "your order is cancelled"."""

    type: ClassVar[str] = "order_cancelled"
    order_id: str
    refund_amount: str = "0.00"
    coupons_returned: list[str] = field(default_factory=list)


def courier_name(key: str, language: str) -> str:
    names = STORE_COURIERS.get(key) or OTHER_COURIERS.get(key) or (key.upper(), key.upper())
    return names[0] if language == "zh" else names[1]


def carriers_list(language: str, keys: tuple[str, ...] | None = None) -> str:
    names = [courier_name(k, language) for k in (keys or tuple(STORE_COURIERS))]
    if language == "zh":
        return "、".join(names)
    return ", ".join(names[:-1]) + (" or " if keys else " and ") + names[-1] if len(names) > 1 else names[0]


def day_text(iso: str, language: str) -> str:
    d = date.fromisoformat(iso)
    return f"{d.month}月{d.day}日" if language == "zh" else f"{d:%b} {d.day}"


def unshipped(order: OrderView) -> bool:
    return order.status in UNSHIPPED and (order.shipment is None or order.shipment.shipped_at is None)


class OrderChangeTool(BaseTool):
    """Record a shipping wish on an unshipped order, or cancel it, after the customer confirms; explain why not."""

    name: ClassVar[str] = "change_order"
    description: ClassVar[str] = (
        "Change one of the customer's orders before it ships: change='courier' (ship with a courier), "
        "'avoid_courier' (not with that courier), 'ship_after' (not before a date), 'cancel', 'ship_together' (with "
        "another order, other_order_id), or 'ship_separately'. courier is a key like sf, jd, zto; when is the date "
        "as the customer said it."
    )
    purpose: ClassVar[dict[str, str]] = {"zh": "修改或取消未发货订单", "en": "change or cancel an unshipped order"}
    intents: ClassVar[tuple[str, ...]] = ("order_change",)
    side_effects: ClassVar[bool] = True
    confirm: ClassVar[bool] = True
    llm_words: ClassVar[bool] = False  # every order id, date and amount is the tool's; the template says it
    customer_words: ClassVar[dict[str, str]] = {"order_id": "order_id"}

    class Args(BaseModel):
        change: Literal["courier", "avoid_courier", "ship_after", "cancel", "ship_together", "ship_separately"]
        order_id: str | None = Field(default=None, pattern=ORDER_ID_PATTERN, description="Order id like KF10000001")
        courier: str | None = Field(default=None, max_length=16, description="Courier key: sf, jd, zto, yto, ems…")
        when: str | None = Field(default=None, max_length=40, description="The date words: '10号', 'the 10th'")
        other_order_id: str | None = Field(default=None, pattern=ORDER_ID_PATTERN)
        # anonymous customers only: the phone number or email on the order
        phone: str | None = Field(default=None, max_length=32)
        email: str | None = Field(default=None, max_length=120)

    def __init__(self, repo: OrderRepository, changes: OrderChangeRepository, *, timezone: str = "Asia/Shanghai"
                 ) -> None:
        self._repo = repo
        self._changes = changes
        self._tz = ZoneInfo(timezone)

    # ------------------------------------------------------------ the turn

    def confirmation_answer(self, args: dict[str, Any], text: str) -> str | None:
        """"取消吧" / "yes, cancel it" answers "shall I cancel it?" with a yes (the generic reading hears a no)."""
        if args.get("change") == "cancel" and _CANCEL_YES.search(text) and not _KEEP.search(text):
            return "yes"
        return None

    def recognises(self, turn: Turn) -> bool:
        """A wish about an order (the `order_wish` slot), whatever the intent model read in it ("不要发了" reads as a
        plain no, "为啥要发EMS" as nothing); a pre-sales question ("能走中通吗" with no order in view) is then answered
        from the policy documents (`plan`). (An upset customer asking for a person or complaining goes to the
        policy's rules first.)"""
        wish = turn.nlu.slots.get("order_wish")
        return isinstance(wish, dict) and wish.get("kind") in CHANGES

    def plan(self, turn: Turn) -> Decision:
        """The wish of this message (or, when the customer answers the bot's question, of the last few turns) on the
        order named now, or just discussed; with no order, the tool finds the customer's only unshipped one (or asks
        which). A question about couriers or how to cancel with no order in view is answered from the policy
        documents."""
        wish = turn.nlu.slots.get("order_wish")
        if not isinstance(wish, dict):  # the answer to the bot's question (an order id, a phone): the wish stands
            wish = turn.recent("order_wish")
        order_id = turn.nlu.slots.get("order_id") or turn.recent("order_id")
        if not isinstance(wish, dict) or wish.get("kind") not in CHANGES or (wish.get("asks") and not order_id):
            unsure, params = clarification(turn)
            query = turn.text
            if isinstance(wish, dict) and wish.get("courier"):  # "为啥要发EMS": the documents know it by its full name
                name = courier_name(str(wish["courier"]), turn.state.language)
                query += f"（快递：{name}）" if turn.state.language == "zh" else f" (courier: {name})"
            return Decision("answer_kb", turn.intent, query=query, empathy=turn.empathy, llm_words=True,
                            unsure=unsure, args=params)
        turn = replace(turn, intent=self.intents[0])  # (the NLU may have read a policy question): a question asked
        # now is answered here ("which order?")
        args: dict[str, Any] = {"change": wish["kind"]}
        for key in ("courier", "when"):
            if wish.get(key):
                args[key] = str(wish[key])[:40]
        named = [o for o in _order_ids(turn.text) if o != order_id]
        if named:
            args["other_order_id"] = named[0]
        if order_id:
            args["order_id"] = order_id
        if not turn.state.customer_id:  # anonymous: the order's id and its phone or email prove it is theirs
            if not order_id:
                return turn.ask("order_id", template="change_order.ask_order")
            said = [(s, turn.nlu.slots.get(s)) for s in CONTACT_SLOTS] + [(s, turn.recent(s)) for s in CONTACT_SLOTS]
            contact = next(((s, v) for s, v in said if v), None)  # what this message says first
            if contact is None:
                return turn.ask(CONTACT_ASK, template="change_order.ask_contact")
            args[contact[0]] = str(contact[1])
        return turn.call(self.name, args, llm_words=False, ask_slot=None if order_id else "order_id")

    # ------------------------------------------------------------ checks and preview

    async def authorize(self, args: BaseModel, ctx: ToolContext) -> None:
        """Refuse (ToolError) an order that is not the customer's, before anything runs."""
        assert isinstance(args, self.Args)
        contact = args.phone or args.email
        for order_id in (args.order_id, args.other_order_id):
            if order_id:
                await asyncio.to_thread(owned_order, self._repo, order_id, ctx, contact)
        if not ctx.customer_id and not args.order_id:
            raise ToolError("login_required", "The customer is not signed in.")

    async def preview(self, args: BaseModel, ctx: ToolContext) -> ToolResult:
        """The change as it would be recorded, checked against the rules; nothing recorded."""
        assert isinstance(args, self.Args)
        return await asyncio.to_thread(self._checked, args, ctx)

    def _today(self, ctx: ToolContext) -> date:
        return ctx.now.astimezone(self._tz).date()

    def _checked(self, args: Args, ctx: ToolContext) -> ToolResult:
        """The order(s) meant and the change's facts, or a ToolError that says why it cannot be done."""
        order, other = self._orders(args, ctx)
        _check_unshipped(order, args.change)
        data: dict[str, Any] = {"change": args.change, "order_id": order.order_id,
                                "items_zh": [ln.name_zh for ln in order.lines],
                                "items_en": [ln.name_en for ln in order.lines]}
        if args.change in ("courier", "avoid_courier"):
            key = (args.courier or "").lower()
            if key not in STORE_COURIERS and key not in OTHER_COURIERS:
                raise ToolError("change_courier_unknown", f"Unknown courier {key!r}.", courier=key or "?")
            if key not in STORE_COURIERS:
                code = "change_courier_unknown" if args.change == "courier" else "change_courier_not_used"
                raise ToolError(code, f"The store does not ship with {key}.", courier=key, order_id=order.order_id)
            data["courier"] = key
            data["value"] = key
            data["others"] = [k for k in STORE_COURIERS if k != key]
        elif args.change == "ship_after":
            today = self._today(ctx)
            latest = today + timedelta(days=MAX_SHIP_DELAY_DAYS)
            wanted = ship_date(args.when, today) if args.when else None
            if wanted is None:
                raise ToolError("change_date_missing", "No date named.", max_date=latest.isoformat(),
                                days=MAX_SHIP_DELAY_DAYS)
            if wanted <= today:
                raise ToolError("change_date_past", "The date is not after today.", date=wanted.isoformat(),
                                max_date=latest.isoformat())
            if wanted > latest:
                raise ToolError("change_date_too_far", f"At most {MAX_SHIP_DELAY_DAYS} days.", date=wanted.isoformat(),
                                max_date=latest.isoformat(), days=MAX_SHIP_DELAY_DAYS)
            data["date"] = data["value"] = wanted.isoformat()
        elif args.change == "cancel":
            data["total"] = f"{order.total:.2f}"
            data["paid"] = order.status == "paid"
        elif args.change == "ship_together":
            assert other is not None
            if other.order_id == order.order_id:
                raise ToolError("change_together_same", "The same order twice.", order_id=order.order_id)
            if not unshipped(other):
                raise ToolError("change_together_shipped", "The other order shipped.", order_id=order.order_id,
                                other_order_id=other.order_id)
            if other.shipping_address.strip() != order.shipping_address.strip():
                raise ToolError("change_together_address", "Different addresses.", order_id=order.order_id,
                                other_order_id=other.order_id)
            data["other_order_id"] = data["value"] = other.order_id
        elif args.change == "ship_separately":
            units = sum(ln.quantity for ln in order.lines)
            if units < 2:
                raise ToolError("change_split_single", "One item only.", order_id=order.order_id)
            data["units"] = units
        return ToolResult(data=data)

    def _orders(self, args: Args, ctx: ToolContext) -> tuple[OrderView, OrderView | None]:
        """The order meant (named, else the customer's only unshipped one) and, to ship together, the other one."""
        contact = args.phone or args.email
        order = owned_order(self._repo, args.order_id, ctx, contact) if args.order_id else None
        other = owned_order(self._repo, args.other_order_id, ctx, contact) if args.other_order_id else None
        if order is not None and (args.change != "ship_together" or other is not None):
            return order, other
        if not ctx.customer_id:
            raise ToolError("login_required", "The customer is not signed in.")
        open_orders = [o for o in self._repo.list_orders(ctx.customer_id, limit=OPEN_ORDERS_LOOKED_AT) if unshipped(o)]
        if order is None and other is not None:
            order, other = other, None
        if args.change == "ship_together":
            rest = [o for o in open_orders if order is None or o.order_id != order.order_id]
            if order is None:
                if len(rest) == 2:
                    return rest[0], rest[1]
                if len(rest) < 2:
                    raise ToolError("change_order_none_open" if not rest else "change_together_alone",
                                    "Not two unshipped orders.", order_id=rest[0].order_id if rest else "",
                                    what=args.change)
                raise _which(rest, args.change)
            if len(rest) == 1:
                return order, rest[0]
            if not rest:
                _check_unshipped(order, args.change)
                raise ToolError("change_together_alone", "No other unshipped order.", order_id=order.order_id)
            raise _which(rest, args.change)
        if order is not None:
            return order, None
        if len(open_orders) == 1:
            return open_orders[0], None
        if not open_orders:
            raise ToolError("change_order_none_open", "No unshipped order.", what=args.change)
        raise _which(open_orders, args.change)

    def confirmation(self, preview: ToolResult, language: str, say: Phrasebook) -> ToolReply:
        data, lang = preview.data, language
        params = self._params(data, lang, say)
        if data["change"] == "cancel":
            params["refund"] = say.render("change_order.refund_paid" if data["paid"] else "change_order.refund_unpaid",
                                          lang, total=data["total"])
        return ToolReply(say.render(f"change_order.confirm_{data['change']}", lang, **params),
                         [say.render("change_order.confirm_yes", lang), say.render("change_order.confirm_no", lang)])

    @staticmethod
    def _params(data: dict[str, Any], lang: str, say: Phrasebook) -> dict[str, Any]:
        params: dict[str, Any] = {"order_id": data["order_id"],
                                  "items": say.items(data.get(f"items_{lang}", []), lang)}
        if data.get("courier"):
            params["courier"] = courier_name(data["courier"], lang)
            params["others"] = carriers_list(lang, tuple(data.get("others") or ()))
        if data.get("date"):
            params["date"] = day_text(data["date"], lang)
        if data.get("other_order_id"):
            params["other_order_id"] = data["other_order_id"]
        if data.get("units"):
            params["units"] = data["units"]
        return params

    # ------------------------------------------------------------ the call, after the customer's yes

    async def __call__(self, args: BaseModel, ctx: ToolContext) -> ToolResult:
        assert isinstance(args, self.Args)
        return await asyncio.to_thread(self._run, args, ctx)

    def _run(self, args: Args, ctx: ToolContext) -> ToolResult:
        checked = self._checked(args, ctx)  # the rules again: the order may have shipped since the bot asked
        data = dict(checked.data)
        order_id = data["order_id"]
        try:
            if args.change == "cancel":
                done = self._changes.cancel_order(order_id=order_id, conversation_id=ctx.conversation_id, now=ctx.now)
                data.update(refund_amount=f"{done.refund_amount:.2f}", coupons_returned=list(done.coupons_returned),
                            units_restocked=done.units_restocked)
                events: list[Event] = [OrderCancelled(conversation_id=ctx.conversation_id, order_id=order_id,
                                                      refund_amount=data["refund_amount"],
                                                      coupons_returned=list(done.coupons_returned))]
                return ToolResult(data=data, events=events)
            events = []
            targets = [order_id] + ([data["other_order_id"]] if args.change == "ship_together" else [])
            for target, value in zip(targets, [data.get("value", ""), order_id], strict=False):
                wish = self._changes.record_wish(order_id=target, kind=args.change, value=str(value),
                                                 conversation_id=ctx.conversation_id, now=ctx.now)
                events.append(OrderWishRecorded(conversation_id=ctx.conversation_id, order_id=target,
                                                kind=args.change, value=wish.value, wish_id=wish.wish_id))
            return ToolResult(data=data, events=events)
        except OrderAlreadyShipped:
            order = self._repo.get_order(order_id)
            if order is not None:
                _check_unshipped(order, args.change)
            raise ToolError("change_order_cancelled", "The order changed meanwhile.", order_id=order_id,
                            what=args.change) from None

    def reply(self, result: ToolResult, decision: Decision, language: str, say: Phrasebook) -> ToolReply:
        data, lang = result.data, language
        params = self._params(data, lang, say)
        if data["change"] == "cancel":
            refund = Decimal(data.get("refund_amount", "0"))
            params["refund"] = say.render("change_order.refunded_paid" if refund > 0 else
                                          "change_order.refunded_unpaid", lang, total=data.get("refund_amount"))
            returned = data.get("coupons_returned") or []
            params["coupons"] = say.render("change_order.coupons_back", lang, count=len(returned)) if returned else ""
        return ToolReply(say.render(f"change_order.done_{data['change']}", lang, **params))

    def explain(self, error: ToolError, language: str, say: Phrasebook) -> str:
        """Why the change cannot be made, with what decides it (the shipment, the store's couriers, the dates)."""
        p, lang, code = dict(error.params), language, error.code
        key = f"change_order.{code}"
        if not say.has(key, lang):
            return super().explain(error, language, say)
        what = say.render(f"change_order.what_{p.get('what', 'courier')}", lang) if p.get("what") in CHANGES else ""
        if code == "change_order_shipped":
            if p.get("status") == "delivered":
                return say.render("change_order.change_order_delivered", lang, order_id=p["order_id"], what=what)
            shipped = say.date(p["shipped"], lang, with_time=False) if p.get("shipped") else ""
            key = "change_order.change_order_shipped_cancel" if p.get("what") == "cancel" else key
            return say.render(key, lang, order_id=p["order_id"], shipped=shipped, what=what,
                              carrier=say.name(p.get("carrier", ""), lang), tracking_no=p.get("tracking_no", ""))
        if code in ("change_courier_unknown", "change_courier_not_used"):
            return say.render(key, lang, courier=courier_name(p.get("courier", "?"), lang),
                              carriers=carriers_list(lang), order_id=p.get("order_id", ""))
        if code in ("change_date_missing", "change_date_past", "change_date_too_far"):
            return say.render(key, lang, max_date=day_text(p["max_date"], lang), days=MAX_SHIP_DELAY_DAYS,
                              date=day_text(p["date"], lang) if p.get("date") else "")
        if code == "change_order_which":
            return say.render(key, lang, orders=("、" if lang == "zh" else ", ").join(p.get("orders", [])), what=what)
        return say.render(key, lang, what=what, **{k: v for k, v in p.items() if k != "what"})


def _which(orders: list[OrderView], change: str) -> ToolError:
    """The question back when several unshipped orders could be meant; the answer (an order id) comes back here."""
    return ToolError("change_order_which", "Several unshipped orders.", orders=[o.order_id for o in orders],
                     what=change, asks="order_id")


def _check_unshipped(order: OrderView, change: str) -> None:
    """A ToolError when the order has left the warehouse or was cancelled: nothing can change any more."""
    if order.status == "cancelled":
        raise ToolError("change_order_cancelled", "The order is cancelled.", order_id=order.order_id, what=change)
    if not unshipped(order):
        shipment = order.shipment
        raise ToolError("change_order_shipped", "The order has shipped.", order_id=order.order_id, what=change,
                        status=order.status, carrier=shipment.carrier if shipment else "",
                        tracking_no=shipment.tracking_no if shipment else "",
                        shipped=shipment.shipped_at.isoformat() if shipment and shipment.shipped_at else "")


_ORDER_ID = re.compile(r"(?<![A-Za-z0-9])KF[\s#:：\-]*((?:\d[\s\-]?){7}\d)(?!\d)", re.IGNORECASE)
# the answer to "shall I cancel it?" that names the cancellation is a yes ("取消吧", "yes, cancel it"), unless it keeps
# the order ("不取消了", "don't cancel")
_CANCEL_YES = re.compile(r"取消|\bcancel", re.IGNORECASE)
_KEEP = re.compile(r"不(?:要|用)?取消|别取消|先不|算了|不用了|保留|\b(?:don'?t|do not|no|not)\b|\bkeep\b",
                   re.IGNORECASE)


def _order_ids(text: str) -> list[str]:
    """Every order id the message names, in order (the NLU's slot holds only the first)."""
    return list(dict.fromkeys("KF" + re.sub(r"\D", "", m) for m in _ORDER_ID.findall(text)))
