"""`ProductInfoTool`: questions about products, answered from the catalogue's fields.

"这个是什么颜色", "一包多少克", "AirPods Pro 2 有货吗", "iPhone 16 Pro Max 有几种颜色", "does it come with a
charger?", "A 和 B 有什么区别", a bare listing number ("525873142019"), "有卖粽子吗": the product the customer
names (by name, brand and model words, or its listing number), or else the one(s) they were just shown or touched
(`DialogueState.focus_products`), or a category they name; the detail asked (`attribute`, an NLU slot) comes from
the product's attributes and description (`tools.commerce.product_facts`), every figure from its fields. Two
products named in a comparison are set side by side. A kind of thing the store does not sell gets an honest "we
don't sell that" with what the store does sell; an unknown number gets "no such product or order here" and a
question back; a question with no product to refer to gets "which product?".

The tool claims a turn itself (`recognises`) when the message asks a product detail, carries a listing number, or
names something the store does not sell — whatever the intent model read in it (a bare number used to read as a
privacy question) — but never a question about store rules, orders or deals, nor a recommendation.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, ClassVar

from pydantic import BaseModel, Field

from agent.events import RecommendationShown
from agent.policy import Decision, Turn
from agent.protocols import Phrasebook, ToolContext, ToolReply, ToolResult
from agent.tooling import BaseTool
from tools.commerce.ports import ProductView
from tools.commerce.product_facts import (
    ANSWERED_BY,
    clauses_about,
    description_rest,
    facts,
    key_facts,
    money,
    pack,
    product_name,
    unit_price,
    value_text,
    variant_label,
)
from tools.commerce.product_shelf import ProductShelf, Snapshot
from tools.commerce.product_words import (
    DEICTIC,
    QUESTION,
    RULE_TOPIC,
    compat_target,
    ordinal,
    sides,
    thing,
    tokens,
)
from tools.commerce.products import product_card

MAX_PRODUCTS = 3  # products one answer speaks about (and shows as cards)
# Asking for suggestions or what goes with something: the recommender's and cross-sell's questions, not ours.
_OTHERS_ASK = re.compile(r"推荐|类似|相似|搭配|配什么|\brecommend|\bsuggest|\bsimilar\b|\bgoes? with\b|\blike this\b",
                         re.IGNORECASE)
_PRICE_REF = re.compile(r"(\d+(?:\.\d+)?)\s*(?:元|块)?的")  # "299的湿巾": the one at that price

ATTRIBUTE_WORDS: dict[str, tuple[str, str]] = {
    "price": ("价格", "price"), "unit_price": ("单价", "unit price"), "pack_size": ("规格", "pack size"),
    "stock": ("库存", "stock"), "variants": ("款式", "versions"), "colour": ("颜色", "colour"),
    "storage": ("存储容量", "storage"), "capacity": ("容量", "capacity"), "battery": ("续航", "battery"),
    "size": ("尺寸", "size"),
    "weight": ("重量", "weight"), "material": ("材质", "material"), "compatibility": ("适用机型", "compatibility"),
    "in_box": ("包装清单", "contents"), "specs": ("参数", "specs"), "brand": ("品牌", "brand"),
    "date": ("生产日期", "production date"), "description": ("信息", "details"), "comparison": ("区别", "differences"),
}


@dataclass
class Reading:
    """What a message asks about products, read against the catalogue."""

    attribute: str | None = None
    item_no: str | None = None
    named: list[ProductView] = field(default_factory=list)
    compared: list[ProductView] = field(default_factory=list)
    category: str | None = None
    thing: str | None = None
    sold: bool | None = None
    points: bool = False  # "这个", "it": the products just shown
    picked: int | None = None  # "第二款", "the first one": which of the products just shown
    only_names: bool = False  # the message is just a product's name ("AirPods Pro 2")
    rules: bool = False  # a store rule, an order or a deal is what it is about


class ProductInfoTool(BaseTool):
    """Answer product questions from the catalogue's fields; say plainly what the store does not sell."""

    name: ClassVar[str] = "product_info"
    description: ClassVar[str] = (
        "Answer a question about products from the catalogue: a detail (price, unit price, pack size, stock, "
        "colour and variants, storage, size, what it fits, what is in the box) of named products, of a listing "
        "number, or of the products just shown; compare two products; or say the store does not sell a kind of "
        "thing."
    )
    purpose: ClassVar[dict[str, str]] = {"zh": "回答商品问题", "en": "answer product questions"}
    intents: ClassVar[tuple[str, ...]] = ("product_question",)
    llm_words: ClassVar[bool] = False  # every figure is the product's own; the template says it

    class Args(BaseModel):
        product_ids: list[str] = Field(default_factory=list, max_length=6)
        item_no: str | None = Field(default=None, pattern=r"^\d{6,16}$", description="A listing number")
        attribute: str | None = Field(default=None, max_length=24, description="The detail asked, e.g. price")
        category: str | None = Field(default=None, max_length=64)
        thing: str | None = Field(default=None, max_length=60, description="A kind of thing the customer named")
        question: str = Field(default="", max_length=300, description="The customer's words")

    templates: ClassVar[dict[str, dict[str, str]]] = {
        "zh": {
            "product_info.ask_product": "请问您想了解哪件商品的{attr_zh}呢？发商品名称或编号给我就行。",
            "product_info.no_number": "本店没有编号为 {item_no} 的商品或订单（本店订单号以 KF 开头）。"
                                      "请问您想找什么商品呢？告诉我名称或类别就行。",
            "product_info.unknown": "没有找到您说的商品。请问您想了解哪件商品？告诉我名称或编号就行。",
            "product_info.unsold": "抱歉，本店没有销售{thing}。我们主要经营{kinds}等，需要的话我帮您看看？",
            "product_info.unsold_near": "抱歉，本店没有销售{thing}。店里和它最接近的有：{near}。"
                                        "需要的话我帮您详细介绍？",
            "product_info.near_item": "「{name}」¥{price}",
            "product_info.line": "「{name}」：{facts}",
            "product_info.price": "¥{price}",
            "product_info.unit_price": "¥{price}/{pack}，约合 ¥{unit}/{per}",
            "product_info.pack": "每份 {pack}",
            "product_info.in_stock": "有货",
            "product_info.low_stock": "有货，仅剩 {count} 件",
            "product_info.out_of_stock": "暂时缺货",
            "product_info.colour": "颜色：{colour}",
            "product_info.variants": "共 {count} 个版本：{variants}",
            "product_info.not_stated": "商品信息里没有写明{attr_zh}，需要的话我请同事帮您确认",
            "product_info.fits": "适用于 {model}",
            "product_info.not_fits": "不在适用机型里（适用于 {fits}）",
            "product_info.cheaper": "「{name}」便宜 ¥{diff}。",
            "product_info.join": "；",
            "product_info.end": "。",
            "product_info.pcs": "件",
            "product_info.brand": "品牌：{brand}",
        },
        "en": {
            "product_info.ask_product": "Which product would you like to know the {attr_en} of? Send me its name "
                                        "or number.",
            "product_info.no_number": "There's no product or order numbered {item_no} in our store (our order "
                                      "numbers start with KF). What are you looking for? Tell me its name or kind.",
            "product_info.unknown": "I couldn't find that product. Which product do you mean? Tell me its name or "
                                    "number.",
            "product_info.unsold": "Sorry, we don't sell {thing}. Our store carries {kinds} and more. Shall I show "
                                   "you something?",
            "product_info.unsold_near": "Sorry, we don't sell {thing}. The closest we have: {near}. Shall I tell you "
                                        "more about one of them?",
            "product_info.near_item": "“{name}” ¥{price}",
            "product_info.line": "“{name}”: {facts}",
            "product_info.price": "¥{price}",
            "product_info.unit_price": "¥{price} for {pack}, about ¥{unit} per {per}",
            "product_info.pack": "comes as {pack}",
            "product_info.in_stock": "in stock",
            "product_info.low_stock": "in stock, only {count} left",
            "product_info.out_of_stock": "out of stock for now",
            "product_info.colour": "colour: {colour}",
            "product_info.variants": "{count} versions: {variants}",
            "product_info.not_stated": "the product page doesn't state its {attr_en}; I can ask a colleague to "
                                       "check",
            "product_info.fits": "fits {model}",
            "product_info.not_fits": "is not listed for that model (it fits {fits})",
            "product_info.cheaper": "“{name}” is ¥{diff} cheaper.",
            "product_info.join": "; ",
            "product_info.end": ".",
            "product_info.pcs": "piece",
            "product_info.brand": "brand: {brand}",
        },
    }

    def __init__(self, shelf: ProductShelf) -> None:
        self._shelf = shelf

    def warm_up(self) -> None:
        self._shelf.warm_up()

    # ------------------------------------------------------------ reading the turn

    def _snapshot(self) -> Snapshot:
        return self._shelf.current() or self._shelf.snapshot()  # read once at start-up (warm_up)

    def read(self, turn: Turn) -> Reading:
        text, slots = turn.text, turn.nlu.slots
        snap = self._snapshot()
        asked_before = turn.pending is not None and turn.pending[0] == self.intents[0]
        r = Reading(attribute=slots.get("attribute") or (turn.recent("attribute") if asked_before else None),
                    item_no=slots.get("item_no"), points=bool(DEICTIC.search(text)), picked=ordinal(text),
                    rules=bool(RULE_TOPIC.search(text)))
        r.points = r.points or r.picked is not None
        mentioned = snap.mentioned_categories(text)
        r.category = _subject(mentioned, snap)
        r.named = snap.named(text)
        if r.category and len(mentioned) > 1:  # "iPhone 16 Pro Max 的手机壳": the cases for it
            r.named = snap.named(text, category=r.category) or r.named
        if r.named:
            own = set(tokens(" ".join(f"{p.name_zh} {p.name_en} {p.brand}" for p in r.named)))
            r.only_names = set(tokens(text)) <= own
        if r.attribute == "comparison":
            r.compared = self._compared(text, snap, turn)
        if not r.named and not r.category:
            r.thing = thing(text)
            r.sold = snap.sells(r.thing) if r.thing else None
        return r

    def _compared(self, text: str, snap: Snapshot, turn: Turn) -> list[ProductView]:
        """The two products a comparison names: by name on each side, or by price among the products in view."""
        out: list[ProductView] = []
        in_view = [p for pid in turn.state.focus_products if (p := snap.get(pid)) is not None]
        for side in sides(text):
            named = snap.named(side)
            if not named:
                price = _PRICE_REF.search(side)
                named = [p for p in in_view if price and p.price == Decimal(price.group(1))]
            if named and named[0] not in out:
                out.append(named[0])
        return out if len(out) == 2 else []

    def recognises(self, turn: Turn) -> bool:
        """This turn is a product question of ours (see the module docstring)."""
        text, slots = turn.text, turn.nlu.slots
        if "order_id" in slots:
            return False
        r = self.read(turn)
        if r.sold is False and not r.rules:
            return True  # something the store does not sell, asked for (even as a recommendation) or asked about
        if _OTHERS_ASK.search(text):
            return False
        if r.item_no:
            rest = text.replace(r.item_no, "").strip(" ，,。.!！?？")
            return not rest or bool(r.attribute) or (bool(QUESTION.search(rest)) and not r.rules)
        if r.rules:
            return False
        if turn.pending is not None and turn.pending[0] == self.intents[0] and (r.named or r.category):
            return True  # the answer to "which product?"
        if r.attribute:
            return True
        if r.named and r.only_names:
            return True  # "AirPods Pro 2": tell me about it
        return bool(r.named) and bool(QUESTION.search(text)) and turn.intent not in ("product_search",
                                                                                     "order_status")

    def plan(self, turn: Turn) -> Decision:
        r = self.read(turn)
        args: dict[str, Any] = {"question": turn.text[:300]}
        if r.attribute:
            args["attribute"] = r.attribute
        focus = list(turn.state.focus_products)
        if r.picked is not None and focus and -len(focus) <= r.picked < len(focus):
            focus = [focus[r.picked]]
        intent = self.intents[0]

        def call(**more: Any) -> Decision:
            return Decision("call_tool", intent, tool=self.name, args={**args, **more}, empathy=turn.empathy)

        if r.item_no:
            return call(item_no=r.item_no)
        if r.compared:
            return call(product_ids=[p.product_id for p in r.compared])
        if r.points and focus and (r.attribute == "compatibility" or not r.named):
            return call(product_ids=focus[:6])  # ("does it fit an iPhone 15?": "it" is asked about, not the phone)
        if r.named:
            return call(product_ids=[p.product_id for p in r.named][:6])
        if r.category and not r.points:  # ("this phone" with no phone in view: which one?)
            return call(category=r.category)
        if r.thing and r.sold is False:
            return call(thing=r.thing)
        if focus and r.attribute:
            return call(product_ids=focus[:6])
        zh, en = ATTRIBUTE_WORDS.get(r.attribute or "description", ATTRIBUTE_WORDS["description"])
        return Decision("template", intent, template="ask_product", tool=self.name, ask_slot="category|item_no",
                        args={"attr_zh": zh, "attr_en": en})

    # ------------------------------------------------------------ the call

    async def __call__(self, args: BaseModel, ctx: ToolContext) -> ToolResult:
        assert isinstance(args, self.Args)
        snap = await asyncio.to_thread(self._shelf.snapshot)
        products: list[ProductView] = []
        if args.item_no:
            found = snap.by_number(args.item_no)
            if found is None:
                return ToolResult(data={"found": False, "item_no": args.item_no})
            products = [found]
        elif args.product_ids:
            products = [p for pid in dict.fromkeys(args.product_ids) if (p := snap.get(pid)) is not None]
        elif args.category and args.category in snap.categories:
            products = snap.in_category(args.category, MAX_PRODUCTS)
        elif args.thing and snap.sells(args.thing) is False:
            return self._unsold(args.thing, snap, ctx)
        if not products:
            return ToolResult(data={"found": False, "item_no": None})
        attribute = args.attribute if args.attribute in ATTRIBUTE_WORDS else None
        group = snap.variants(products[0])
        one_model = len(group) > 1 and {p.product_id for p in products} <= {p.product_id for p in group}
        several = one_model and len(products) > 1 and attribute in (None, "description", "price", "stock")
        if (attribute in ("variants", "colour", "storage") and one_model) or several:
            # one model asked about, or its colours and sizes: every version with its price and stock
            attribute = "variants" if len(group) > 1 else attribute
            products = group if len(group) > 1 else products
        shown = products[:MAX_PRODUCTS] if attribute != "variants" else products[:1]
        data = {"found": True, "attribute": attribute, "question": args.question,
                "products": [facts(p) for p in products[:6]], "comparison": attribute == "comparison"}
        ids = [p.product_id for p in shown]
        return ToolResult(data=data, cards=[product_card(p, ctx.language) for p in shown],
                          events=[RecommendationShown(conversation_id=ctx.conversation_id, product_ids=ids,
                                                      source=self.name)])

    def _unsold(self, thing: str, snap: Snapshot, ctx: ToolContext) -> ToolResult:
        """We don't sell it: the products most like it (cards), and the kinds we sell, theirs first."""
        near = snap.like(thing, MAX_PRODUCTS)
        kinds = [snap.categories[k] for k in dict.fromkeys(p.category for p in near) if k in snap.categories]
        kinds += [c for c in snap.biggest_categories(6) if c not in kinds]
        data = {"sold": False, "thing": thing, "kinds_zh": [c.name_zh for c in kinds[:6]],
                "kinds_en": [c.name_en for c in kinds[:6]], "near": [facts(p) for p in near]}
        if not near:
            return ToolResult(data=data)
        return ToolResult(data=data, cards=[product_card(p, ctx.language) for p in near],
                          events=[RecommendationShown(conversation_id=ctx.conversation_id,
                                                      product_ids=[p.product_id for p in near], source=self.name)])

    # ------------------------------------------------------------ wording

    def reply(self, result: ToolResult, decision: Decision, language: str, say: Phrasebook) -> ToolReply:
        data = result.data
        if data.get("sold") is False:
            kinds = ("、" if language == "zh" else ", ").join(data[f"kinds_{language}"])
            near = [_view(f) for f in data.get("near") or []]
            if near:
                items = ("、" if language == "zh" else "; ").join(
                    say.render("product_info.near_item", language, name=product_name(p, language),
                               price=money(p.price)) for p in near)
                return ToolReply(say.render("product_info.unsold_near", language, thing=data["thing"], near=items))
            return ToolReply(say.render("product_info.unsold", language, thing=data["thing"], kinds=kinds),
                             quick_replies=list(data[f"kinds_{language}"][:3]))
        if not data.get("found"):
            key = "product_info.no_number" if data.get("item_no") else "product_info.unknown"
            return ToolReply(say.render(key, language, item_no=data.get("item_no")))
        products = [_view(f) for f in data["products"]]
        attribute, question = data.get("attribute"), data.get("question", "")
        join, end = say.render("product_info.join", language), say.render("product_info.end", language)
        if attribute == "variants":
            return ToolReply(self._variants(products, language, say) + end)
        lines = [_line(p, attribute, question, language, say) for p in products[:MAX_PRODUCTS]]
        text = join.join(lines) + end
        if attribute == "comparison" and len(products) == 2 and products[0].price != products[1].price:
            cheap, dear = sorted(products[:2], key=lambda p: p.price)
            text += say.render("product_info.cheaper", language, name=product_name(cheap, language),
                               diff=money(dear.price - cheap.price))
        return ToolReply(text)

    def _variants(self, group: list[ProductView], language: str, say: Phrasebook) -> str:
        sep = "；" if language == "zh" else "; "
        items = [f"{variant_label(p, language)} ¥{money(p.price)}（{_stock(p, language, say)}）" if language == "zh"
                 else f"{variant_label(p, language)} ¥{money(p.price)} ({_stock(p, language, say)})" for p in group]
        model = str(group[0].attributes.get("model") or product_name(group[0], language))
        facts_text = say.render("product_info.variants", language, count=len(group), variants=sep.join(items))
        return say.render("product_info.line", language, name=model, facts=facts_text)


def _subject(mentioned: list[str], snap: Snapshot) -> str | None:
    """The category a question is about: of several named, the accessory (a case "for" a phone)."""
    if len(mentioned) <= 1:
        return mentioned[0] if mentioned else None
    fitting = snap.fitting_categories()
    return next((key for key in mentioned if key in fitting), mentioned[0])


def _view(f: dict[str, Any]) -> ProductView:
    """A product back from its facts (what the reply reads: the result data is the record of what was said)."""
    return ProductView(product_id=f["product_id"], name_zh=f["name_zh"], name_en=f["name_en"], category="",
                       category_zh="", category_en="", price=Decimal(f["price"]),
                       stock=(f["low_stock"] or 99) if f["in_stock"] else 0, brand=f["brand"],
                       attributes=dict(f["attributes"]), description_zh=f["description_zh"],
                       description_en=f["description_en"])


def _stock(p: ProductView, language: str, say: Phrasebook) -> str:
    if p.stock <= 0:
        return say.render("product_info.out_of_stock", language)
    if p.stock <= 5:
        return say.render("product_info.low_stock", language, count=p.stock)
    return say.render("product_info.in_stock", language)


def _line(p: ProductView, attribute: str | None, question: str, language: str, say: Phrasebook) -> str:
    """One product's answer to the detail asked, from its fields only."""
    comma = "，" if language == "zh" else ", "
    price = say.render("product_info.price", language, price=money(p.price))
    stock = _stock(p, language, say)
    zh, en = ATTRIBUTE_WORDS.get(attribute or "description", ATTRIBUTE_WORDS["description"])
    not_stated = say.render("product_info.not_stated", language, attr_zh=zh, attr_en=en)
    parts: list[str]
    if attribute in ("price", None, "description", "comparison"):
        parts = [price, stock]
        if attribute == "comparison":
            parts += key_facts(p, language)
        elif attribute in (None, "description"):
            parts += key_facts(p, language)[:3] + description_rest(p, language)[:3]
    elif attribute == "stock":
        parts = [stock, price]
    elif attribute in ("unit_price", "pack_size"):
        per, held = unit_price(p), pack(p)
        if per is None or held is None:
            parts = [price, not_stated]
        else:
            pcs = say.render("product_info.pcs", language)
            amount = f"{held[0].normalize():f}"
            size = f"{amount}{pcs}" if held[1] == "pcs" and language == "zh" else \
                f"{amount} {pcs}s" if held[1] == "pcs" else f"{amount}{held[1]}"
            if attribute == "unit_price":
                parts = [say.render("product_info.unit_price", language, price=money(p.price), pack=size,
                                    unit=money(per[0]), per=pcs if per[1] == "pcs" else per[1])]
            else:
                parts = [say.render("product_info.pack", language, pack=size), price]
    elif attribute == "colour":
        colour = p.attributes.get("colour")
        parts = [say.render("product_info.colour", language, colour=value_text("colour", colour, p, language))] \
            if colour else [not_stated]
    elif attribute == "brand":
        parts = [say.render("product_info.brand", language, brand=p.brand)]
    elif attribute == "compatibility":
        parts = _fits(p, question, language, say) or [not_stated]
    else:
        keys = ANSWERED_BY.get(attribute, ())
        parts = key_facts(p, language, keys) if keys else []
        parts += clauses_about(p, language, attribute, question)[:2]
        parts = list(dict.fromkeys(parts)) or [not_stated]
    facts_text = comma.join(part.rstrip("。.") for part in parts)
    return say.render("product_info.line", language, name=product_name(p, language), facts=facts_text)


def _fits(p: ProductView, question: str, language: str, say: Phrasebook) -> list[str]:
    """What it fits; when the question names a model, whether that is one of them."""
    fits = p.attributes.get("compatible_with")
    if isinstance(fits, list) and fits:
        listed = ("、" if language == "zh" else ", ").join(str(m) for m in fits)
        target = compat_target(question)
        if target is None:
            return [say.render("product_info.fits", language, model=listed)]
        wanted = set(tokens(target))
        named = [m for m in fits if set(tokens(str(m))) == wanted]
        if named:
            return [say.render("product_info.fits", language, model=named[0])]
        return [say.render("product_info.not_fits", language, fits=listed)]
    return key_facts(p, language, ("fits_inch", "card_type", "capsule_system", "head_system", "connector",
                                   "strap_fit"))
