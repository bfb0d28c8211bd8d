"""Demo store catalog: categories with zh/en keywords and a generated product list (~400 items).

Hand-written brand/model/variant tables rather than a scraped dataset, so the demo needs no files
and the products carry the attributes complements need (`model`, `compatible_with`, `card_type`,
`head_system`, `strap_fit`, `capsule_system`, `fits_inch`).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any


@dataclass(frozen=True, slots=True)
class CategorySpec:
    key: str
    name_zh: str
    name_en: str
    keywords_zh: tuple[str, ...]
    keywords_en: tuple[str, ...]
    returnable: bool = True
    parent: str | None = None


def _kw(text: str) -> tuple[str, ...]:
    return tuple(w.strip() for w in text.split("|") if w.strip())


CATEGORIES: tuple[CategorySpec, ...] = (
    CategorySpec(
        "phone",
        "手机",
        "Phones",
        _kw("手机|智能手机|移动电话|5G手机|新手机|机子|苹果手机|安卓手机|旗舰机|折叠屏手机"),
        _kw(
            "phone|phones|smartphone|smartphones|mobile|mobile phone|mobile phones|cell phone|cellphone|handset|"
            "iphone|android phone|foldable"
        ),
    ),
    CategorySpec(
        "phone_case",
        "手机壳",
        "Phone cases",
        _kw("手机壳|保护壳|手机套|壳|保护套|防摔壳|磁吸壳|透明壳|硅胶壳"),
        _kw("case|cases|phone case|phone cases|cover|covers|phone cover|bumper|magsafe case|silicone case"),
    ),
    CategorySpec(
        "screen_protector",
        "钢化膜",
        "Screen protectors",
        _kw("钢化膜|手机膜|贴膜|保护膜|屏幕膜|膜|防窥膜|钢化玻璃膜|屏幕保护膜"),
        _kw(
            "screen protector|screen protectors|tempered glass|glass protector|screen guard|film|"
            "privacy screen|screen film"
        ),
    ),
    CategorySpec(
        "charger",
        "充电器",
        "Chargers & cables",
        _kw("充电器|充电头|快充|数据线|充电线|线|氮化镓|插头|无线充电器|电源适配器|磁吸充电器"),
        _kw(
            "charger|chargers|charging|cable|cables|usb-c|usb c|lightning|adapter|power adapter|"
            "fast charger|gan|charging cable|plug|wireless charger|magsafe charger"
        ),
    ),
    CategorySpec(
        "power_bank",
        "充电宝",
        "Power banks",
        _kw("充电宝|移动电源|便携电源|磁吸充电宝|户外电源"),
        _kw("power bank|power banks|powerbank|portable charger|battery pack|external battery"),
    ),
    CategorySpec(
        "earphones",
        "耳机",
        "Earphones & headphones",
        _kw("耳机|蓝牙耳机|无线耳机|降噪耳机|头戴式耳机|耳麦|耳塞|入耳式耳机|真无线耳机"),
        _kw(
            "earphones|earphone|earbuds|earbud|headphones|headphone|headset|airpods|wireless earbuds|"
            "noise cancelling|noise-cancelling|buds|anc"
        ),
    ),
    CategorySpec(
        "laptop",
        "笔记本电脑",
        "Laptops",
        _kw("笔记本电脑|笔记本|电脑|手提电脑|轻薄本|游戏本|本子|苹果电脑|办公本"),
        _kw("laptop|laptops|notebook|notebooks|computer|macbook|ultrabook|gaming laptop|pc"),
    ),
    CategorySpec(
        "mouse",
        "鼠标",
        "Mice",
        _kw("鼠标|无线鼠标|游戏鼠标|蓝牙鼠标|办公鼠标|静音鼠标"),
        _kw("mouse|mice|wireless mouse|gaming mouse|bluetooth mouse"),
    ),
    CategorySpec(
        "keyboard",
        "键盘",
        "Keyboards",
        _kw("键盘|机械键盘|无线键盘|蓝牙键盘|键鼠|游戏键盘"),
        _kw("keyboard|keyboards|mechanical keyboard|wireless keyboard|bluetooth keyboard|gaming keyboard"),
    ),
    CategorySpec(
        "laptop_bag",
        "电脑包",
        "Laptop bags",
        _kw("电脑包|笔记本包|电脑双肩包|内胆包|电脑内胆包|双肩包|背包|公文包|书包"),
        _kw("laptop bag|laptop bags|laptop sleeve|sleeve|backpack|backpacks|bag|bags|briefcase"),
    ),
    CategorySpec(
        "camera",
        "相机",
        "Cameras",
        _kw("相机|照相机|数码相机|微单|单反|运动相机|摄像机|卡片机|云台相机|全景相机|vlog相机"),
        _kw("camera|cameras|mirrorless|dslr|digital camera|action camera|action cam|vlog camera|camcorder|gopro"),
    ),
    CategorySpec(
        "memory_card",
        "存储卡",
        "Memory cards",
        _kw("存储卡|内存卡|SD卡|TF卡|储存卡|卡|相机卡|高速卡"),
        _kw("memory card|memory cards|sd card|sd cards|microsd|micro sd|microsd card|tf card|storage card"),
    ),
    CategorySpec(
        "tripod",
        "三脚架",
        "Tripods",
        _kw("三脚架|脚架|三角架|支架|自拍杆|手机支架|独脚架"),
        _kw("tripod|tripods|stand|selfie stick|monopod|phone stand"),
    ),
    CategorySpec(
        "tablet",
        "平板电脑",
        "Tablets",
        _kw("平板电脑|平板|iPad|学习平板|安卓平板"),
        _kw("tablet|tablets|ipad|pad|android tablet"),
    ),
    CategorySpec(
        "smartwatch",
        "智能手表",
        "Smartwatches",
        _kw("智能手表|手表|手环|运动手表|智能手环|电话手表|表"),
        _kw("smartwatch|smartwatches|smart watch|smart watches|watch|watches|fitness tracker|fitness band|apple watch"),
    ),
    CategorySpec(
        "watch_strap",
        "表带",
        "Watch straps",
        _kw("表带|手表带|腕带|表链|替换表带|手环腕带"),
        _kw("watch strap|watch straps|strap|straps|watch band|watch bands|wristband|bracelet"),
    ),
    CategorySpec(
        "coffee_machine",
        "咖啡机",
        "Coffee machines",
        _kw("咖啡机|意式咖啡机|胶囊咖啡机|全自动咖啡机|半自动咖啡机|磨豆机|咖啡壶"),
        _kw(
            "coffee machine|coffee machines|espresso machine|coffee maker|capsule machine|grinder|"
            "coffee grinder|bean to cup"
        ),
    ),
    CategorySpec(
        "coffee_beans",
        "咖啡豆",
        "Coffee beans",
        _kw("咖啡豆|咖啡粉|咖啡胶囊|胶囊|挂耳咖啡|豆子|咖啡|速溶咖啡"),
        _kw("coffee beans|coffee bean|beans|ground coffee|coffee capsules|capsules|pods|coffee pods|coffee"),
        returnable=False,
    ),
    CategorySpec(
        "electric_toothbrush",
        "电动牙刷",
        "Electric toothbrushes",
        _kw("电动牙刷|牙刷|声波牙刷|电牙刷|充电牙刷"),
        _kw("electric toothbrush|electric toothbrushes|toothbrush|toothbrushes|sonic toothbrush|sonicare"),
        returnable=False,
    ),
    CategorySpec(
        "toothbrush_heads",
        "牙刷头",
        "Toothbrush heads",
        _kw("牙刷头|刷头|替换刷头|替换头|电动牙刷头"),
        _kw("toothbrush heads|toothbrush head|brush heads|brush head|replacement heads|refills|refill heads"),
        returnable=False,
    ),
    CategorySpec(
        "gift_card",
        "礼品卡",
        "Gift cards",
        _kw("礼品卡|购物卡|代金卡|储值卡|礼卡|电子卡|电子礼品卡"),
        _kw("gift card|gift cards|voucher|vouchers|gift voucher|e-gift card|egift card|gift certificate"),
        returnable=False,
    ),
)

CATEGORY_KEYS = tuple(c.key for c in CATEGORIES)
NON_RETURNABLE = frozenset(c.key for c in CATEGORIES if not c.returnable)

# brand key -> (English, Chinese)
BRANDS: dict[str, tuple[str, str]] = {
    "apple": ("Apple", "苹果"),
    "huawei": ("HUAWEI", "华为"),
    "xiaomi": ("Xiaomi", "小米"),
    "redmi": ("Redmi", "红米"),
    "oppo": ("OPPO", "OPPO"),
    "vivo": ("vivo", "vivo"),
    "honor": ("HONOR", "荣耀"),
    "samsung": ("Samsung", "三星"),
    "oneplus": ("OnePlus", "一加"),
    "sony": ("Sony", "索尼"),
    "canon": ("Canon", "佳能"),
    "nikon": ("Nikon", "尼康"),
    "fujifilm": ("Fujifilm", "富士"),
    "dji": ("DJI", "大疆"),
    "gopro": ("GoPro", "GoPro"),
    "insta360": ("Insta360", "影石"),
    "logitech": ("Logitech", "罗技"),
    "razer": ("Razer", "雷蛇"),
    "lenovo": ("Lenovo", "联想"),
    "dell": ("Dell", "戴尔"),
    "hp": ("HP", "惠普"),
    "asus": ("ASUS", "华硕"),
    "microsoft": ("Microsoft", "微软"),
    "anker": ("Anker", "安克"),
    "ugreen": ("UGREEN", "绿联"),
    "baseus": ("Baseus", "倍思"),
    "cuktech": ("CUKTECH", "酷态科"),
    "romoss": ("ROMOSS", "罗马仕"),
    "belkin": ("Belkin", "贝尔金"),
    "esr": ("ESR", "亿色"),
    "spigen": ("Spigen", "Spigen"),
    "smartdevil": ("Smartdevil", "闪魔"),
    "benks": ("Benks", "邦克仕"),
    "bose": ("Bose", "Bose"),
    "sennheiser": ("Sennheiser", "森海塞尔"),
    "beats": ("Beats", "Beats"),
    "soundcore": ("soundcore", "声阔"),
    "edifier": ("EDIFIER", "漫步者"),
    "jbl": ("JBL", "JBL"),
    "keychron": ("Keychron", "Keychron"),
    "cherry": ("CHERRY", "樱桃"),
    "akko": ("Akko", "艾酷"),
    "rapoo": ("Rapoo", "雷柏"),
    "dareu": ("Dareu", "达尔优"),
    "tomtoc": ("tomtoc", "tomtoc"),
    "samsonite": ("Samsonite", "新秀丽"),
    "incase": ("Incase", "Incase"),
    "targus": ("Targus", "泰格斯"),
    "victorinox": ("Victorinox", "瑞士军刀"),
    "inateck": ("Inateck", "英霆"),
    "sandisk": ("SanDisk", "闪迪"),
    "kingston": ("Kingston", "金士顿"),
    "lexar": ("Lexar", "雷克沙"),
    "manfrotto": ("Manfrotto", "曼富图"),
    "benro": ("Benro", "百诺"),
    "sirui": ("SIRUI", "思锐"),
    "ulanzi": ("Ulanzi", "优篮子"),
    "fotopro": ("Fotopro", "富图宝"),
    "peakdesign": ("Peak Design", "Peak Design"),
    "smallrig": ("SmallRig", "斯莫格"),
    "garmin": ("Garmin", "佳明"),
    "amazfit": ("Amazfit", "Amazfit跃我"),
    "delonghi": ("De'Longhi", "德龙"),
    "breville": ("Breville", "铂富"),
    "nespresso": ("Nespresso", "Nespresso"),
    "philips": ("Philips", "飞利浦"),
    "bear": ("Bear", "小熊"),
    "petrus": ("Petrus", "柏翠"),
    "fellow": ("Fellow", "Fellow"),
    "starbucks": ("Starbucks", "星巴克"),
    "lavazza": ("Lavazza", "乐维萨"),
    "illy": ("illy", "意利"),
    "peets": ("Peet's", "皮爷"),
    "saturnbird": ("Saturnbird", "三顿半"),
    "seesaw": ("Seesaw", "Seesaw"),
    "manner": ("Manner", "Manner"),
    "yunnan": ("Hogood", "后谷"),
    "oralb": ("Oral-B", "欧乐B"),
    "usmile": ("usmile", "笑容加"),
    "saky": ("Saky", "舒客"),
    "mijia": ("Mijia", "米家"),
    "kefu": ("Kefu Store", "客服商城"),
}

COLOURS: dict[str, str] = {
    "black": "黑色",
    "white": "白色",
    "silver": "银色",
    "space grey": "深空灰",
    "blue": "蓝色",
    "green": "绿色",
    "pink": "粉色",
    "purple": "紫色",
    "red": "红色",
    "gold": "金色",
    "graphite": "石墨色",
    "starlight": "星光色",
    "midnight": "午夜色",
    "natural titanium": "原色钛金属",
    "black titanium": "黑色钛金属",
    "desert titanium": "沙漠色钛金属",
    "ultramarine": "群青色",
    "teal": "深青色",
    "grey": "灰色",
    "pale grey": "浅灰色",
    "clear": "透明",
    "beige": "米色",
    "brown": "棕色",
    "orange": "橙色",
    "navy": "藏青色",
    "yellow": "黄色",
    "cream": "奶油白",
}


@dataclass(slots=True)
class ProductSpec:
    category: str
    brand: str  # brand key
    name_zh: str
    name_en: str
    price: Decimal
    attributes: dict[str, Any] = field(default_factory=dict)
    description_zh: str = ""
    description_en: str = ""

    @property
    def brand_label(self) -> str:
        en, zh = BRANDS[self.brand]
        return en if en == zh else f"{en} {zh}"


def _p(value: float) -> Decimal:
    return Decimal(f"{value:.2f}")


def _colour(attrs: dict[str, Any], colour: str | None) -> tuple[str, str]:
    if not colour:
        return "", ""
    attrs["colour"] = colour
    attrs["colour_zh"] = COLOURS[colour]
    return f" {COLOURS[colour]}", f" {colour.title()}"


def _product(
    category: str,
    brand: str,
    title: str,
    price: float,
    *,
    variant_zh: str = "",
    variant_en: str = "",
    colour: str | None = None,
    model_zh: str | None = None,
    **attrs: Any,
) -> ProductSpec:
    attributes: dict[str, Any] = {k: v for k, v in attrs.items() if v is not None}
    c_zh, c_en = _colour(attributes, colour)
    en, zh = BRANDS[brand]
    title = title.removeprefix(f"{en} ")  # "Xiaomi Xiaomi 15" -> "Xiaomi 15"
    model_zh = model_zh.removeprefix(zh).lstrip() if model_zh else None
    name_zh = f"{zh} {model_zh or title}{' ' + variant_zh if variant_zh else ''}{c_zh}"
    name_en = f"{en} {title}{' ' + variant_en if variant_en else ''}{c_en}"
    return ProductSpec(category, brand, name_zh, name_en, _p(price), attributes)


# --- phones and their accessories -------------------------------------------------------------------

# (brand, model, model_zh or None, base price, [(storage, extra)], colours)
PHONES: tuple[tuple[str, str, str | None, int, tuple[tuple[str, int], ...], tuple[str, ...]], ...] = (
    (
        "apple",
        "iPhone 16 Pro Max",
        None,
        9999,
        (("256GB", 0), ("512GB", 2000), ("1TB", 4000)),
        ("desert titanium", "natural titanium", "black titanium"),
    ),
    (
        "apple",
        "iPhone 16 Pro",
        None,
        7999,
        (("128GB", 0), ("256GB", 1000), ("512GB", 3000)),
        ("black titanium", "natural titanium"),
    ),
    ("apple", "iPhone 16", None, 5999, (("128GB", 0), ("256GB", 1000)), ("ultramarine", "black", "pink", "teal")),
    ("apple", "iPhone 15", None, 4999, (("128GB", 0), ("256GB", 1000)), ("black", "blue", "pink")),
    (
        "huawei",
        "Mate 70 Pro",
        None,
        6499,
        (("12GB+256GB", 0), ("12GB+512GB", 500), ("12GB+1TB", 1500)),
        ("black", "white", "green"),
    ),
    ("huawei", "Mate 60 Pro", None, 5999, (("12GB+256GB", 0), ("12GB+512GB", 500)), ("black", "green", "white")),
    ("huawei", "Pura 70", None, 5499, (("12GB+256GB", 0), ("12GB+512GB", 500)), ("black", "white", "pink")),
    ("huawei", "nova 13", None, 2699, (("256GB", 0), ("512GB", 300)), ("black", "purple", "green")),
    (
        "xiaomi",
        "Xiaomi 15 Pro",
        "小米15 Pro",
        5299,
        (("12GB+256GB", 0), ("16GB+512GB", 700)),
        ("black", "white", "green"),
    ),
    ("xiaomi", "Xiaomi 15", "小米15", 4499, (("12GB+256GB", 0), ("16GB+512GB", 500)), ("black", "white", "pink")),
    ("xiaomi", "Xiaomi 14 Ultra", "小米14 Ultra", 5999, (("16GB+512GB", 0), ("16GB+1TB", 800)), ("black", "white")),
    ("redmi", "K80 Pro", None, 3699, (("12GB+256GB", 0), ("16GB+512GB", 600)), ("black", "white")),
    ("redmi", "Note 14 Pro", None, 1399, (("8GB+256GB", 0), ("12GB+256GB", 200)), ("black", "blue", "purple")),
    ("oppo", "Find X8 Pro", None, 5299, (("12GB+256GB", 0), ("16GB+512GB", 700)), ("black", "white")),
    ("oppo", "Reno 13", None, 2699, (("12GB+256GB", 0), ("12GB+512GB", 300)), ("blue", "purple", "black")),
    ("vivo", "X200 Pro", None, 5299, (("12GB+256GB", 0), ("16GB+512GB", 700)), ("black", "white", "blue")),
    ("vivo", "S20", None, 2299, (("12GB+256GB", 0), ("12GB+512GB", 300)), ("black", "purple")),
    ("honor", "Magic7 Pro", None, 5699, (("12GB+256GB", 0), ("16GB+512GB", 600)), ("black", "grey", "blue")),
    ("honor", "HONOR 300", "荣耀300", 2499, (("12GB+256GB", 0), ("12GB+512GB", 300)), ("black", "purple")),
    ("samsung", "Galaxy S24 Ultra", None, 9699, (("12GB+256GB", 0), ("12GB+512GB", 1000)), ("black", "grey")),
    ("samsung", "Galaxy Z Flip6", None, 7999, (("12GB+256GB", 0), ("12GB+512GB", 1000)), ("blue", "silver")),
    ("oneplus", "OnePlus 13", "一加13", 4499, (("12GB+256GB", 0), ("16GB+512GB", 700)), ("black", "blue")),
)

CASE_TYPES = (
    ("透明防摔壳", "Clear Case", 39, ("esr", "baseus", "ugreen", "spigen")),
    ("液态硅胶壳", "Silicone Case", 69, ("esr", "baseus", "smartdevil")),
    ("磁吸保护壳", "Magnetic Case", 99, ("esr", "spigen", "ugreen")),
    ("素皮保护壳", "Vegan Leather Case", 129, ("esr", "baseus")),
    ("军工防摔壳", "Rugged Armor Case", 59, ("spigen", "ugreen")),
)
CASE_COLOURS = ("black", "blue", "pink", "green", "purple", "brown")


def _phones() -> Iterator[ProductSpec]:
    for brand, model, model_zh, base, storages, colours in PHONES:
        variants = list(zip(storages, itertools.cycle(colours), strict=False))
        if len(colours) > len(storages):
            variants.append((storages[0], colours[-1]))
        for (storage, extra), colour in variants:
            p = _product(
                "phone",
                brand,
                model,
                base + extra,
                variant_zh=storage,
                variant_en=storage,
                colour=colour,
                model_zh=model_zh,
                model=model,
                storage=storage,
                connector="USB-C",
            )
            p.description_zh = f"{p.name_zh}，5G全网通，官方正品，支持快充。"
            p.description_en = f"{p.name_en}, 5G, genuine with official warranty, fast charging."
            yield p


def _device_names(brand: str, model: str, model_zh: str | None) -> tuple[str, str]:
    """How an accessory names the phone it fits: always with the zh brand (华为 Mate 70 Pro), and with
    the English brand unless the model says it already (iPhone, Xiaomi 15)."""
    en, zh = BRANDS[brand]
    name_zh = model_zh if model_zh and model_zh.startswith(zh) else f"{zh} {model_zh or model}"
    name_en = model if brand == "apple" or model.startswith(en) else f"{en} {model}"
    return name_zh, name_en


def _phone_accessories() -> Iterator[ProductSpec]:
    for i, (brand, model, model_zh_raw, _base, _storages, _colours) in enumerate(PHONES):
        model_zh, device_en = _device_names(brand, model, model_zh_raw)
        types = [CASE_TYPES[i % len(CASE_TYPES)], CASE_TYPES[(i + 2) % len(CASE_TYPES)]]
        if brand == "apple":
            types.append(("官方硅胶保护壳", "Silicone Case with MagSafe", 399, ("apple",)))
        for j, (type_zh, type_en, price, makers) in enumerate(types):
            maker = makers[(i + j) % len(makers)]
            colour = CASE_COLOURS[(i + j) % len(CASE_COLOURS)] if "Clear" not in type_en else None
            p = _product(
                "phone_case",
                maker,
                f"{type_en} for {device_en}",
                price + (i % 3) * 10,
                model_zh=f"{model_zh} {type_zh}",
                colour=colour,
                compatible_with=[model],
            )
            p.description_zh = f"适用于 {model_zh}，{type_zh}，精准开孔，按键灵敏。"
            p.description_en = f"{type_en} made for {device_en}; precise cut-outs, responsive buttons."
            yield p
        makers = ("smartdevil", "ugreen", "benks", "esr")
        glass = [("高清钢化膜 2片装", "Tempered Glass Screen Protector (2-pack)", 29)]
        if i % 2 == 0:
            glass.append(("防窥钢化膜", "Privacy Tempered Glass Screen Protector", 49))
        for j, (type_zh, type_en, price) in enumerate(glass):
            maker = makers[(i + j) % len(makers)]
            p = _product(
                "screen_protector",
                maker,
                f"{type_en} for {device_en}",
                price + (i % 2) * 10,
                model_zh=f"{model_zh} {type_zh}",
                compatible_with=[model],
            )
            p.description_zh = f"适用于 {model_zh}，9H硬度，防指纹，附贴膜神器。"
            p.description_en = f"For {device_en}: 9H hardness, anti-fingerprint, with an installation frame."
            yield p


CHARGERS = (
    ("apple", "20W USB-C Power Adapter", "20W USB-C 电源适配器", 149, "20W", ["apple"]),
    ("apple", "35W Dual USB-C Port Compact Power Adapter", "35W 双USB-C端口电源适配器", 399, "35W", ["apple"]),
    ("apple", "USB-C Woven Charge Cable (1 m)", "USB-C 编织充电线 (1米)", 145, None, ["universal"]),
    ("apple", "MagSafe Charger (1 m)", "MagSafe 充电器 (1米)", 329, "25W", ["apple"]),
    ("anker", "Nano 20W USB-C Charger", "Nano 20W USB-C 充电器", 59, "20W", ["universal"]),
    ("anker", "Prime 65W GaN 3-Port Charger", "Prime 65W 氮化镓三口充电器", 169, "65W", ["universal"]),
    ("anker", "Prime 100W GaN 4-Port Charger", "Prime 100W 氮化镓四口充电器", 299, "100W", ["universal"]),
    ("anker", "MagGo 3-in-1 Wireless Charging Station", "MagGo 三合一磁吸无线充电座", 599, "15W", ["apple"]),
    ("ugreen", "Nexode 30W GaN Charger", "30W 氮化镓充电器", 69, "30W", ["universal"]),
    ("ugreen", "Nexode 65W GaN 3-Port Charger", "65W 氮化镓三口充电器", 129, "65W", ["universal"]),
    ("ugreen", "USB-C to USB-C 100W Cable (1 m)", "USB-C 双头 100W 数据线 (1米)", 29, None, ["universal"]),
    ("ugreen", "USB-C to USB-C 100W Cable (2 m)", "USB-C 双头 100W 数据线 (2米)", 39, None, ["universal"]),
    ("ugreen", "MFi USB-C to Lightning Cable (1 m)", "MFi 认证 USB-C 转 Lightning 数据线 (1米)", 49, None, ["apple"]),
    ("baseus", "GaN5 Pro 65W Charger", "GaN5 Pro 65W 氮化镓充电器", 109, "65W", ["universal"]),
    ("baseus", "3-in-1 Fast Charging Cable (1.2 m)", "一拖三快充数据线 (1.2米)", 25, None, ["universal"]),
    ("xiaomi", "67W Charger Set", "67W 充电器套装", 129, "67W", ["xiaomi", "redmi"]),
    ("xiaomi", "120W HyperCharge Charger Set", "120W 澎湃秒充充电器套装", 169, "120W", ["xiaomi", "redmi"]),
    ("huawei", "66W SuperCharge Charger", "66W 超级快充充电器", 149, "66W", ["huawei", "honor"]),
    ("huawei", "100W SuperCharge Charger", "100W 超级快充充电器", 249, "100W", ["huawei", "honor"]),
    ("samsung", "45W Super Fast Charger", "45W 超级快充充电器", 249, "45W", ["samsung"]),
    ("oppo", "80W SUPERVOOC Charger", "80W 超级闪充充电器", 149, "80W", ["oppo", "oneplus"]),
    ("vivo", "90W FlashCharge Charger", "90W 闪充充电器", 149, "90W", ["vivo"]),
    ("cuktech", "No.10 65W GaN Charger", "10号 65W 氮化镓充电器", 99, "65W", ["universal"]),
    (
        "belkin",
        "BoostCharge Pro 3-in-1 MagSafe Stand",
        "BoostCharge Pro 三合一 MagSafe 充电支架",
        899,
        "15W",
        ["apple"],
    ),
)

POWER_BANKS = (
    ("xiaomi", "Power Bank 10000mAh 22.5W Lite", "充电宝 10000mAh 22.5W 青春版", 79, "10000mAh", ("black", "white")),
    ("xiaomi", "Power Bank 20000mAh 33W", "充电宝 20000mAh 33W", 149, "20000mAh", ("black",)),
    ("anker", "MagGo Power Bank 10000mAh", "MagGo 磁吸充电宝 10000mAh", 399, "10000mAh", ("black", "blue")),
    ("anker", "737 Power Bank 24000mAh 140W", "737 充电宝 24000mAh 140W", 699, "24000mAh", ("black",)),
    ("anker", "Nano Power Bank 10000mAh 30W", "Nano 充电宝 10000mAh 30W", 199, "10000mAh", ("white", "pink")),
    ("cuktech", "No.20 Power Bank 25000mAh 210W", "20号 移动电源 25000mAh 210W", 299, "25000mAh", ("black",)),
    ("baseus", "Blade Power Bank 20000mAh 100W", "刀锋 充电宝 20000mAh 100W", 199, "20000mAh", ("black",)),
    ("baseus", "Magnetic Mini Power Bank 5000mAh", "磁吸迷你充电宝 5000mAh", 129, "5000mAh", ("white", "purple")),
    ("romoss", "Sense 4 Power Bank 10000mAh", "Sense4 充电宝 10000mAh", 59, "10000mAh", ("white",)),
    ("romoss", "Power Bank 20000mAh 22.5W", "充电宝 20000mAh 22.5W", 99, "20000mAh", ("white", "black")),
    ("huawei", "SuperCharge Power Bank 12000mAh 66W", "超级快充移动电源 12000mAh 66W", 299, "12000mAh", ("white",)),
    ("ugreen", "Nexode Power Bank 20000mAh 100W", "Nexode 移动电源 20000mAh 100W", 299, "20000mAh", ("grey",)),
)


def _chargers() -> Iterator[ProductSpec]:
    for brand, model, model_zh, price, power, compat in CHARGERS:
        p = _product("charger", brand, model, price, model_zh=model_zh, power=power, compatible_with=list(compat))
        p.description_zh = f"{p.name_zh}，安全快充，多重保护，全国联保。"
        p.description_en = f"{p.name_en}: safe fast charging with multiple protections, nationwide warranty."
        yield p
    for brand, model, model_zh, price, capacity, colours in POWER_BANKS:
        for colour in colours:
            p = _product("power_bank", brand, model, price, model_zh=model_zh, colour=colour, capacity=capacity)
            p.description_zh = f"{p.name_zh}，可带上飞机（≤100Wh），双向快充。"
            p.description_en = f"{p.name_en}: airline-safe (under 100 Wh), two-way fast charging."
            yield p


EARPHONES = (
    ("apple", "AirPods Pro 2 (USB-C)", None, 1899, ("white",), "in-ear"),
    ("apple", "AirPods 4", None, 999, ("white",), "in-ear"),
    ("apple", "AirPods 4 with Active Noise Cancellation", "AirPods 4 主动降噪版", 1399, ("white",), "in-ear"),
    ("apple", "AirPods Max", None, 3999, ("midnight", "starlight", "blue"), "over-ear"),
    (
        "sony",
        "WH-1000XM5 Wireless Noise Cancelling Headphones",
        "WH-1000XM5 无线降噪头戴耳机",
        2499,
        ("black", "silver"),
        "over-ear",
    ),
    ("sony", "WF-1000XM5 Noise Cancelling Earbuds", "WF-1000XM5 降噪真无线耳机", 1799, ("black", "silver"), "in-ear"),
    ("bose", "QuietComfort Ultra Headphones", "QuietComfort Ultra 消噪耳机", 2999, ("black", "white"), "over-ear"),
    ("bose", "QuietComfort Ultra Earbuds", "QuietComfort Ultra 消噪耳塞", 2299, ("black",), "in-ear"),
    ("huawei", "FreeBuds Pro 4", None, 1299, ("white", "black", "green"), "in-ear"),
    ("huawei", "FreeBuds 6i", None, 599, ("white", "black", "purple"), "in-ear"),
    ("xiaomi", "Buds 5 Pro", None, 1099, ("black", "white"), "in-ear"),
    ("redmi", "Buds 6 Pro", None, 399, ("black", "white", "purple"), "in-ear"),
    ("samsung", "Galaxy Buds3 Pro", None, 1499, ("silver", "white"), "in-ear"),
    (
        "beats",
        "Studio Pro Wireless Headphones",
        "Studio Pro 无线头戴式耳机",
        2699,
        ("black", "navy", "beige"),
        "over-ear",
    ),
    ("sennheiser", "MOMENTUM 4 Wireless", "MOMENTUM 4 无线耳机", 2299, ("black", "white"), "over-ear"),
    ("soundcore", "Liberty 4 Pro", None, 699, ("black", "blue"), "in-ear"),
    ("edifier", "W820NB Noise Cancelling Headphones", "W820NB 降噪头戴耳机", 299, ("black", "white"), "over-ear"),
    ("jbl", "Tune 770NC", None, 699, ("black", "blue"), "over-ear"),
)


def _earphones() -> Iterator[ProductSpec]:
    for brand, model, model_zh, price, colours, fit in EARPHONES:
        for colour in colours[:2]:
            p = _product("earphones", brand, model, price, model_zh=model_zh, colour=colour, fit=fit)
            kind_zh = "头戴式" if fit == "over-ear" else "入耳式"
            p.description_zh = f"{p.name_zh}，{kind_zh}蓝牙耳机，支持主动降噪与通透模式。"
            p.description_en = f"{p.name_en}: {fit} Bluetooth, active noise cancellation and transparency mode."
            yield p


# --- computers ----------------------------------------------------------------------------------------

# (brand, model, model_zh, screen inch, cpu, [(ram+ssd, price)], colours)
LAPTOPS = (
    (
        "apple",
        "MacBook Air 13 M3",
        None,
        13.6,
        "Apple M3",
        (("16GB+256GB", 7999), ("16GB+512GB", 9499)),
        ("midnight", "starlight", "silver"),
    ),
    (
        "apple",
        "MacBook Air 15 M3",
        None,
        15.3,
        "Apple M3",
        (("16GB+256GB", 9999), ("16GB+512GB", 11499)),
        ("midnight", "silver"),
    ),
    (
        "apple",
        "MacBook Pro 14 M4",
        None,
        14.2,
        "Apple M4",
        (("16GB+512GB", 12999), ("24GB+1TB", 15999)),
        ("space grey", "silver"),
    ),
    ("apple", "MacBook Pro 16 M4 Pro", None, 16.2, "Apple M4 Pro", (("24GB+512GB", 19999),), ("black",)),
    ("lenovo", "ThinkPad X1 Carbon Gen 12", None, 14.0, "Intel Core Ultra 7", (("32GB+1TB", 12999),), ("black",)),
    ("lenovo", "ThinkPad T14 Gen 5", None, 14.0, "Intel Core Ultra 5", (("16GB+512GB", 7999),), ("black",)),
    ("lenovo", "Xiaoxin Pro 14", "小新 Pro 14", 14.0, "Intel Core Ultra 5", (("32GB+1TB", 5499),), ("grey",)),
    ("lenovo", "Xiaoxin Pro 16", "小新 Pro 16", 16.0, "AMD Ryzen 7", (("32GB+1TB", 5999),), ("grey",)),
    (
        "lenovo",
        "Legion Y9000P",
        "拯救者 Y9000P",
        16.0,
        "Intel Core i9 + RTX 4060",
        (("16GB+1TB", 9999), ("32GB+1TB", 11999)),
        ("grey",),
    ),
    ("lenovo", "Legion R7000P", "拯救者 R7000P", 16.0, "AMD Ryzen 7 + RTX 4060", (("16GB+1TB", 6999),), ("grey",)),
    ("huawei", "MateBook X Pro", None, 14.2, "Intel Core Ultra 9", (("32GB+1TB", 11999),), ("black", "white")),
    ("huawei", "MateBook 14", None, 14.2, "Intel Core Ultra 5", (("16GB+1TB", 5699),), ("grey", "silver")),
    ("huawei", "MateBook D 16", None, 16.0, "Intel Core i5", (("16GB+512GB", 4999),), ("silver",)),
    ("xiaomi", "Xiaomi Book Pro 14", "小米笔记本 Pro 14", 14.0, "Intel Core Ultra 7", (("32GB+1TB", 6999),), ("grey",)),
    ("redmi", "RedmiBook 16", None, 16.0, "Intel Core i5", (("16GB+512GB", 4299),), ("grey",)),
    ("dell", "XPS 13", None, 13.4, "Intel Core Ultra 7", (("16GB+512GB", 9999),), ("graphite", "silver")),
    ("dell", "Inspiron 14", "灵越 14", 14.0, "Intel Core i5", (("16GB+512GB", 4599),), ("silver",)),
    ("hp", "ZHAN 66 G6", "战66 六代", 14.0, "Intel Core Ultra 5", (("16GB+1TB", 5199),), ("silver",)),
    ("hp", "Spectre x360 14", "幽灵 x360 14", 14.0, "Intel Core Ultra 7", (("32GB+1TB", 10999),), ("black",)),
    ("asus", "TUF Gaming A16", "天选5 Pro", 16.0, "AMD Ryzen 9 + RTX 4060", (("16GB+1TB", 7499),), ("grey",)),
    ("asus", "ROG Zephyrus G16", "ROG 幻16", 16.0, "Intel Core Ultra 9 + RTX 4070", (("32GB+1TB", 12999),), ("grey",)),
    ("asus", "Vivobook Pro 15", "无畏 Pro 15", 15.6, "AMD Ryzen 7", (("16GB+1TB", 5299),), ("blue",)),
    ("microsoft", "Surface Laptop 7", None, 13.8, "Snapdragon X Plus", (("16GB+512GB", 8788),), ("black", "silver")),
)


def _laptops() -> Iterator[ProductSpec]:
    for brand, model, model_zh, inch, cpu, configs, colours in LAPTOPS:
        for (config, price), colour in zip(configs, itertools.cycle(colours), strict=False):
            extra = list(colours[1:2]) if len(configs) == 1 and len(colours) > 1 else []
            for c in [colour, *extra]:
                p = _product(
                    "laptop",
                    brand,
                    model,
                    price,
                    variant_zh=config,
                    variant_en=config,
                    colour=c,
                    model_zh=model_zh,
                    model=model,
                    screen_inch=inch,
                    cpu=cpu,
                    memory_storage=config,
                )
                p.description_zh = f"{p.name_zh}，{inch}英寸屏幕，{cpu}，轻薄便携，适合办公与创作。"
                p.description_en = f"{p.name_en}: {inch}-inch display, {cpu}, light enough to carry every day."
                yield p


MICE = (
    ("logitech", "MX Master 3S", None, 749, ("graphite", "pale grey")),
    ("logitech", "MX Anywhere 3S", None, 549, ("graphite", "pink")),
    ("logitech", "M650 Wireless Mouse", "M650 无线鼠标", 169, ("graphite", "white")),
    ("logitech", "G502 X Plus Gaming Mouse", "G502 X Plus 游戏鼠标", 899, ("black", "white")),
    ("logitech", "PRO X SUPERLIGHT 2", None, 999, ("black", "white")),
    ("logitech", "Pebble Mouse 2 M350s", "Pebble 2 M350s 鹅卵石鼠标", 99, ("graphite", "pink")),
    ("razer", "DeathAdder V3", "炼狱蝰蛇 V3", 599, ("black",)),
    ("razer", "Basilisk V3", "巴塞利斯蛇 V3", 299, ("black",)),
    ("apple", "Magic Mouse (USB-C)", "妙控鼠标 (USB-C)", 649, ("white", "black")),
    ("xiaomi", "Wireless Mouse Lite", "无线鼠标 Lite", 39, ("black", "white")),
    ("microsoft", "Bluetooth Mouse", "蓝牙鼠标", 149, ("black", "pink")),
    ("lenovo", "Xiaoxin Air Wireless Mouse", "小新 Air 无线鼠标", 89, ("grey",)),
    ("rapoo", "M300 Silent Wireless Mouse", "M300 静音无线鼠标", 69, ("black", "white")),
)

KEYBOARDS = (
    ("logitech", "MX Keys S", None, 799, ("graphite", "pale grey")),
    ("logitech", "K380 Bluetooth Keyboard", "K380 蓝牙键盘", 199, ("graphite", "pink", "white")),
    ("logitech", "MX Mechanical Mini", None, 899, ("graphite",)),
    ("logitech", "G PRO X TKL Gaming Keyboard", "G PRO X TKL 游戏键盘", 1299, ("black", "white")),
    ("keychron", "K2 Pro Mechanical Keyboard", "K2 Pro 机械键盘", 599, ("grey",)),
    ("keychron", "K8 Pro Mechanical Keyboard", "K8 Pro 机械键盘", 699, ("grey",)),
    ("keychron", "Q1 Max Mechanical Keyboard", "Q1 Max 机械键盘", 1399, ("black", "silver")),
    ("apple", "Magic Keyboard with Touch ID", "带有触控 ID 的妙控键盘", 1099, ("white", "black")),
    ("cherry", "MX 3.0S Mechanical Keyboard", "MX 3.0S 机械键盘", 599, ("black", "white")),
    ("akko", "5075B Plus Mechanical Keyboard", "5075B Plus 机械键盘", 399, ("blue", "white")),
    ("razer", "BlackWidow V4", "黑寡妇蜘蛛 V4", 999, ("black",)),
    ("rapoo", "V500 Pro Mechanical Keyboard", "V500 Pro 机械键盘", 199, ("black",)),
    ("dareu", "EK87 Mechanical Keyboard", "EK87 机械键盘", 169, ("black", "white")),
)

LAPTOP_BAGS = (
    ("tomtoc", "Laptop Sleeve 13-inch", "13英寸笔记本内胆包", 159, 13.6, "sleeve", ("grey", "blue")),
    ("tomtoc", "Laptop Sleeve 14-inch", "14英寸笔记本内胆包", 179, 14.2, "sleeve", ("grey", "black")),
    ("tomtoc", "Laptop Sleeve 16-inch", "16英寸笔记本内胆包", 199, 16.2, "sleeve", ("grey", "black")),
    ("samsonite", "Laptop Backpack 14-inch", "14英寸商务电脑双肩包", 499, 14.2, "backpack", ("black",)),
    ("samsonite", "Laptop Backpack 15.6-inch", "15.6英寸商务电脑双肩包", 599, 16.0, "backpack", ("black", "navy")),
    ("xiaomi", "Minimalist Urban Backpack", "极简都市双肩包", 149, 15.6, "backpack", ("black", "grey")),
    ("incase", "Icon Backpack 16-inch", "Icon 16英寸双肩包", 1199, 16.2, "backpack", ("black",)),
    ("targus", "Classic Briefcase 15.6-inch", "经典公文包 15.6英寸", 299, 15.6, "briefcase", ("black",)),
    ("victorinox", "Altmont Laptop Backpack", "Altmont 电脑双肩包", 899, 16.0, "backpack", ("black", "blue")),
    ("lenovo", "Legion Gaming Backpack 16-inch", "拯救者 16英寸游戏双肩包", 249, 16.0, "backpack", ("black",)),
    ("inateck", "Laptop Sleeve 13-inch", "13英寸电脑内胆包", 89, 13.6, "sleeve", ("grey", "pink")),
)


def _peripherals() -> Iterator[ProductSpec]:
    for category, table, noun_zh, noun_en in (
        ("mouse", MICE, "鼠标", "mouse"),
        ("keyboard", KEYBOARDS, "键盘", "keyboard"),
    ):
        for brand, model, model_zh, price, colours in table:
            for colour in colours[:2]:
                p = _product(category, brand, model, price, model_zh=model_zh, colour=colour)
                p.description_zh = f"{p.name_zh}，支持蓝牙与无线接收器多设备切换的{noun_zh}。"
                p.description_en = f"{p.name_en}: a {noun_en} that switches between devices over Bluetooth or receiver."
                yield p
    for brand, model, model_zh, price, fits, kind, colours in LAPTOP_BAGS:
        for colour in colours:
            p = _product("laptop_bag", brand, model, price, model_zh=model_zh, colour=colour, fits_inch=fits, type=kind)
            p.description_zh = f"{p.name_zh}，防泼水面料，可容纳最大 {fits} 英寸笔记本。"
            p.description_en = f"{p.name_en}: water-repellent, fits laptops up to {fits} inches."
            yield p


# --- cameras ------------------------------------------------------------------------------------------

CAMERAS = (
    ("sony", "Alpha 7 IV Body", "Alpha 7 IV 全画幅微单 机身", 15999, "full-frame", "SD", "mirrorless"),
    (
        "sony",
        "Alpha 7 IV with 28-70mm Lens",
        "Alpha 7 IV 全画幅微单 28-70mm 套机",
        17999,
        "full-frame",
        "SD",
        "mirrorless",
    ),
    ("sony", "ZV-E10 II with 16-50mm Lens", "ZV-E10 II Vlog 微单 16-50mm 套机", 7699, "APS-C", "SD", "mirrorless"),
    ("sony", "Alpha 6700 Body", "Alpha 6700 微单 机身", 9999, "APS-C", "SD", "mirrorless"),
    ("canon", "EOS R6 Mark II Body", "EOS R6 Mark II 全画幅微单 机身", 14999, "full-frame", "SD", "mirrorless"),
    ("canon", "EOS R50 with 18-45mm Lens", "EOS R50 微单 18-45mm 套机", 5499, "APS-C", "SD", "mirrorless"),
    ("canon", "EOS R8 with 24-50mm Lens", "EOS R8 全画幅微单 24-50mm 套机", 11999, "full-frame", "SD", "mirrorless"),
    ("nikon", "Z6 III Body", "Z6 III 全画幅微单 机身", 15999, "full-frame", "SD", "mirrorless"),
    ("nikon", "Z fc with 16-50mm Lens", "Z fc 复古微单 16-50mm 套机", 6999, "APS-C", "SD", "mirrorless"),
    ("nikon", "Z30 with 16-50mm Lens", "Z30 Vlog 微单 16-50mm 套机", 4899, "APS-C", "SD", "mirrorless"),
    ("fujifilm", "X-T5 Body", "X-T5 微单 机身", 11999, "APS-C", "SD", "mirrorless"),
    ("fujifilm", "X-S20 with 15-45mm Lens", "X-S20 微单 15-45mm 套机", 9999, "APS-C", "SD", "mirrorless"),
    ("fujifilm", "X100VI", "X100VI 旁轴数码相机", 11590, "APS-C", "SD", "compact"),
    ("dji", "Osmo Pocket 3", "Osmo Pocket 3 一英寸口袋云台相机", 3499, "1-inch", "microSD", "pocket"),
    ("dji", "Osmo Action 5 Pro", "Osmo Action 5 Pro 运动相机", 2999, "1/1.3-inch", "microSD", "action"),
    ("gopro", "HERO13 Black", "HERO13 Black 运动相机", 3198, "1/1.9-inch", "microSD", "action"),
    ("insta360", "X4 360° Action Camera", "X4 全景运动相机", 3499, "1/2-inch", "microSD", "action"),
    ("insta360", "Ace Pro 2", "Ace Pro 2 运动相机", 2998, "1/1.3-inch", "microSD", "action"),
)

MEMORY_CARDS = (
    ("sandisk", "Extreme SDXC UHS-I", "Extreme 至尊极速 SD 卡", "SD", (("64GB", 99), ("128GB", 169), ("256GB", 299))),
    ("sandisk", "Extreme PRO SDXC UHS-I", "Extreme PRO 至尊超极速 SD 卡", "SD", (("128GB", 229), ("256GB", 399))),
    (
        "sandisk",
        "Extreme microSDXC A2",
        "Extreme 至尊极速 microSD 存储卡",
        "microSD",
        (("128GB", 119), ("256GB", 219), ("512GB", 399)),
    ),
    (
        "samsung",
        "EVO Plus microSDXC",
        "EVO Plus microSD 存储卡",
        "microSD",
        (("128GB", 79), ("256GB", 149), ("512GB", 299)),
    ),
    ("kingston", "Canvas Go! Plus SD", "Canvas Go! Plus SD 卡", "SD", (("128GB", 129),)),
    ("kingston", "Canvas Go! Plus microSD", "Canvas Go! Plus microSD 存储卡", "microSD", (("64GB", 49), ("128GB", 89))),
    ("lexar", "Professional 1066x SDXC", "Professional 1066x SD 卡", "SD", (("128GB", 159), ("256GB", 279))),
    ("sony", "TOUGH SF-G UHS-II SD", "TOUGH SF-G 三防 SD 卡", "SD", (("128GB", 699),)),
)

TRIPODS = (
    ("manfrotto", "BeFree Advanced Travel Tripod", "BeFree Advanced 旅行三脚架", 1599, "camera", 8.0),
    ("manfrotto", "PIXI Mini Tripod", "PIXI 迷你三脚架", 199, "compact", 1.0),
    ("benro", "MeFOTO RoadTrip Travel Tripod", "MeFOTO RoadTrip 旅行三脚架", 899, "camera", 8.0),
    ("sirui", "T-025SK Carbon Fibre Tripod", "T-025SK 碳纤维三脚架", 999, "camera", 6.0),
    ("sirui", "AM-284 Carbon Fibre Tripod", "AM-284 碳纤维三脚架", 1299, "camera", 12.0),
    ("ulanzi", "MT-44 Phone & Vlog Tripod", "MT-44 手机 Vlog 三脚架", 99, "compact", 1.5),
    ("ulanzi", "Zero Y Travel Tripod", "Zero Y 旅行三脚架", 799, "camera", 6.0),
    ("fotopro", "X-go Tripod", "X-go 三脚架", 399, "camera", 5.0),
    ("peakdesign", "Travel Tripod Aluminium", "旅行三脚架 铝合金版", 2899, "camera", 9.0),
    ("smallrig", "Vlog Selfie Stick Tripod", "Vlog 自拍杆三脚架", 129, "compact", 1.5),
    ("xiaomi", "Selfie Stick Tripod", "自拍杆三脚架", 89, "compact", 1.0),
    ("dji", "Osmo Mini Tripod", "Osmo 迷你三脚架", 99, "compact", 1.0),
)


def _cameras() -> Iterator[ProductSpec]:
    for brand, model, model_zh, price, sensor, card, kind in CAMERAS:
        p = _product(
            "camera", brand, model, price, model_zh=model_zh, model=model, sensor=sensor, card_type=card, type=kind
        )
        p.description_zh = f"{p.name_zh}，{sensor} 传感器，4K 视频，使用 {card} 存储卡。"
        p.description_en = f"{p.name_en}: {sensor} sensor, 4K video, records to {card} cards."
        yield p
    for brand, model, model_zh, card, sizes in MEMORY_CARDS:
        for capacity, price in sizes:
            p = _product(
                "memory_card",
                brand,
                model,
                price,
                variant_zh=capacity,
                variant_en=capacity,
                model_zh=model_zh,
                capacity=capacity,
                card_type=card,
            )
            p.description_zh = f"{p.name_zh}，V30 4K 视频级写入速度，适用于相机、无人机与运动相机。"
            p.description_en = f"{p.name_en}: V30 write speed for 4K video in cameras, drones and action cams."
            yield p
    for brand, model, model_zh, price, kind, load_kg in TRIPODS:
        p = _product("tripod", brand, model, price, model_zh=model_zh, type=kind, max_load_kg=load_kg)
        p.description_zh = f"{p.name_zh}，最大承重 {load_kg} 公斤，快装板，收纳轻便。"
        p.description_en = f"{p.name_en}: holds up to {load_kg} kg, quick-release plate, packs small."
        yield p


# --- tablets and watches ------------------------------------------------------------------------------

TABLETS = (
    (
        "apple",
        "iPad (10th generation)",
        "iPad (第十代)",
        10.9,
        (("64GB", 2999), ("256GB", 4199)),
        ("blue", "pink", "silver"),
    ),
    ("apple", "iPad Air 11 M2", None, 11.0, (("128GB", 4799), ("256GB", 5599)), ("space grey", "purple", "blue")),
    ("apple", "iPad Air 13 M2", None, 13.0, (("128GB", 6499),), ("space grey", "starlight")),
    ("apple", "iPad Pro 11 M4", None, 11.0, (("256GB", 8999), ("512GB", 10999)), ("space grey", "silver")),
    ("apple", "iPad Pro 13 M4", None, 13.0, (("256GB", 11999),), ("space grey",)),
    ("apple", "iPad mini (A17 Pro)", None, 8.3, (("128GB", 3999),), ("starlight", "purple")),
    ("huawei", "MatePad Pro 13.2", None, 13.2, (("12GB+256GB", 5199),), ("black", "white")),
    ("huawei", "MatePad 11.5 S", None, 11.5, (("8GB+256GB", 2299),), ("grey", "purple")),
    (
        "xiaomi",
        "Xiaomi Pad 7 Pro",
        "小米平板7 Pro",
        11.2,
        (("8GB+256GB", 2499), ("12GB+512GB", 2999)),
        ("black", "green"),
    ),
    ("redmi", "Redmi Pad Pro", "Redmi Pad Pro 平板", 12.1, (("8GB+128GB", 1499),), ("grey", "green")),
    ("samsung", "Galaxy Tab S10+", None, 12.4, (("12GB+256GB", 6999),), ("grey", "silver")),
    ("lenovo", "Xiaoxin Pad Pro 12.7", "小新 Pad Pro 12.7", 12.7, (("8GB+128GB", 1999),), ("grey",)),
    ("honor", "MagicPad 2", None, 12.3, (("12GB+256GB", 2999),), ("black", "white")),
    ("oppo", "OPPO Pad 3", None, 11.6, (("8GB+256GB", 2599),), ("blue", "grey")),
)

# strap_fit family -> human label
STRAP_FITS: dict[str, tuple[str, str]] = {
    "apple_small": ("Apple Watch 38/40/41/42mm", "Apple Watch 38/40/41/42mm"),
    "apple_large": ("Apple Watch 44/45/46/49mm", "Apple Watch 44/45/46/49mm"),
    "quick_22": ("22mm quick-release (Huawei Watch GT, Samsung, Amazfit)", "22mm 快拆（华为 GT、三星、Amazfit）"),
    "garmin_22": ("Garmin QuickFit 22mm", "佳明 QuickFit 22mm"),
    "band_xiaomi": ("Xiaomi Smart Band 8/9", "小米手环 8/9"),
    "band_huawei": ("HUAWEI Band 8/9", "华为手环 8/9"),
}

SMARTWATCHES = (
    ("apple", "Apple Watch Series 10 42mm", None, 2999, "apple_small", ("black", "silver", "gold")),
    ("apple", "Apple Watch Series 10 46mm", None, 3199, "apple_large", ("black", "silver")),
    ("apple", "Apple Watch Ultra 2 49mm", None, 6499, "apple_large", ("natural titanium", "black titanium")),
    ("apple", "Apple Watch SE 40mm", None, 1999, "apple_small", ("midnight", "starlight")),
    ("apple", "Apple Watch SE 44mm", None, 2199, "apple_large", ("midnight", "silver")),
    ("huawei", "WATCH GT 5 46mm", None, 1488, "quick_22", ("black", "brown", "blue")),
    ("huawei", "WATCH GT 5 Pro 46mm", None, 2488, "quick_22", ("black", "silver")),
    ("huawei", "Band 9", "手环 9", 269, "band_huawei", ("black", "white", "pink")),
    ("xiaomi", "Watch S4", "Xiaomi Watch S4", 999, "quick_22", ("black", "silver")),
    ("xiaomi", "Smart Band 9", "手环 9", 249, "band_xiaomi", ("black", "silver", "pink")),
    ("samsung", "Galaxy Watch7 44mm", None, 1999, "quick_22", ("green", "silver")),
    ("garmin", "Forerunner 265", None, 2880, "garmin_22", ("black", "white")),
    ("garmin", "fenix 8 47mm", None, 7980, "garmin_22", ("black", "grey")),
    ("amazfit", "GTR 4", None, 999, "quick_22", ("black", "brown")),
    ("amazfit", "Balance", None, 1299, "quick_22", ("black", "gold")),
)

STRAP_MATERIALS = (
    ("运动硅胶表带", "Sport Silicone Band", 59),
    ("尼龙回环表带", "Nylon Loop Band", 89),
    ("真皮表带", "Genuine Leather Strap", 169),
    ("米兰尼斯金属表带", "Milanese Loop Metal Band", 129),
)


def _tablets_and_watches() -> Iterator[ProductSpec]:
    for brand, model, model_zh, inch, configs, colours in TABLETS:
        for (config, price), colour in zip(configs, itertools.cycle(colours), strict=False):
            p = _product(
                "tablet",
                brand,
                model,
                price,
                variant_zh=config,
                variant_en=config,
                colour=colour,
                model_zh=model_zh,
                model=model,
                screen_inch=inch,
                storage=config,
            )
            p.description_zh = f"{p.name_zh}，{inch} 英寸屏幕，支持手写笔与键盘，学习办公娱乐皆宜。"
            p.description_en = f"{p.name_en}: {inch}-inch display with pen and keyboard support."
            yield p
    for brand, model, model_zh, price, fit, colours in SMARTWATCHES:
        for colour in colours[:2]:
            p = _product(
                "smartwatch", brand, model, price, model_zh=model_zh, colour=colour, model=model, strap_fit=fit
            )
            p.description_zh = f"{p.name_zh}，心率血氧监测，运动记录，消息提醒，长续航。"
            p.description_en = f"{p.name_en}: heart-rate and SpO2, workout tracking, notifications, long battery."
            yield p
    makers = ("esr", "baseus", "spigen", "ugreen")
    for i, (fit, (label_en, label_zh)) in enumerate(STRAP_FITS.items()):
        materials = STRAP_MATERIALS[:2] if fit.startswith("band") else STRAP_MATERIALS
        for j, (mat_zh, mat_en, price) in enumerate(materials):
            maker = makers[(i + j) % len(makers)]
            colour = ("black", "blue", "brown", "silver")[j]
            p = _product(
                "watch_strap",
                maker,
                f"{mat_en} for {label_en}",
                price,
                model_zh=f"{label_zh} {mat_zh}",
                colour=colour,
                strap_fit=fit,
                compatible_with=[label_en],
            )
            p.description_zh = f"{p.name_zh}，快拆设计，无需工具即可更换。"
            p.description_en = f"{p.name_en}: quick-release, swaps without tools."
            yield p
    for fit, colour in (("apple_small", "pink"), ("apple_large", "black")):
        label_en, label_zh = STRAP_FITS[fit]
        p = _product(
            "watch_strap",
            "apple",
            f"Sport Band for {label_en}",
            399,
            model_zh=f"{label_zh} 官方运动型表带",
            colour=colour,
            strap_fit=fit,
            compatible_with=[label_en],
        )
        p.description_zh = f"{p.name_zh}，氟橡胶材质，柔软耐用。"
        p.description_en = f"{p.name_en}: fluoroelastomer, soft and durable."
        yield p


# --- coffee, personal care, gift cards ----------------------------------------------------------------

COFFEE_MACHINES = (
    (
        "delonghi",
        "Dedica EC685 Espresso Machine",
        "Dedica EC685 半自动意式咖啡机",
        1799,
        "espresso",
        None,
        ("silver", "black", "red"),
    ),
    (
        "delonghi",
        "Magnifica S ECAM22.110 Bean-to-Cup",
        "Magnifica S ECAM22.110 全自动咖啡机",
        3299,
        "automatic",
        None,
        ("black",),
    ),
    ("delonghi", "Dinamica Plus Bean-to-Cup", "Dinamica Plus 全自动咖啡机", 6999, "automatic", None, ("silver",)),
    ("breville", "Barista Express BES870", "BES870 半自动意式咖啡机", 4999, "espresso", None, ("silver", "black")),
    ("breville", "Bambino Plus BES500", "BES500 意式咖啡机", 3499, "espresso", None, ("silver",)),
    (
        "nespresso",
        "Vertuo Pop Capsule Machine",
        "Vertuo Pop 胶囊咖啡机",
        999,
        "capsule",
        "Nespresso Vertuo",
        ("black", "blue"),
    ),
    (
        "nespresso",
        "Vertuo Next Capsule Machine",
        "Vertuo Next 胶囊咖啡机",
        1499,
        "capsule",
        "Nespresso Vertuo",
        ("black",),
    ),
    (
        "nespresso",
        "Essenza Mini Capsule Machine",
        "Essenza Mini 胶囊咖啡机",
        899,
        "capsule",
        "Nespresso Original",
        ("white", "black"),
    ),
    ("philips", "Series 3200 EP3246 Bean-to-Cup", "3200 系列 EP3246 全自动咖啡机", 2999, "automatic", None, ("black",)),
    ("bear", "Espresso Machine KFJ-A02N1", "KFJ-A02N1 意式咖啡机", 499, "espresso", None, ("white",)),
    ("petrus", "PE3690 Espresso Machine", "PE3690 半自动意式咖啡机", 999, "espresso", None, ("silver",)),
    ("mijia", "Capsule Coffee Machine", "胶囊咖啡机", 599, "capsule", "Nespresso Original", ("white",)),
    ("fellow", "Opus Conical Burr Grinder", "Opus 锥刀磨豆机", 1599, "grinder", None, ("black",)),
)

# (brand, model, model_zh, form, capsule_system, [(size, price)])
COFFEE = (
    ("starbucks", "Espresso Roast Whole Beans", "浓缩烘焙 咖啡豆", "beans", None, (("250g", 98), ("1kg", 328))),
    ("starbucks", "Pike Place Roast Whole Beans", "派克市场烘焙 咖啡豆", "beans", None, (("250g", 98),)),
    ("lavazza", "Super Crema Whole Beans", "Super Crema 意式咖啡豆", "beans", None, (("1kg", 169),)),
    ("lavazza", "Qualità Oro Ground Coffee", "Qualità Oro 咖啡粉", "ground", None, (("250g", 69),)),
    ("illy", "Classico Medium Roast Beans", "经典中度烘焙 咖啡豆", "beans", None, (("250g", 118),)),
    ("peets", "Major Dickason's Blend Beans", "迪克森 综合咖啡豆", "beans", None, (("250g", 118), ("500g", 208))),
    (
        "saturnbird",
        "Instant Coffee No.1-6 (24 cups)",
        "超即溶精品咖啡 1-6号 24颗",
        "instant",
        None,
        (("24 cups", 169),),
    ),
    ("seesaw", "Ethiopia Yirgacheffe Beans", "埃塞俄比亚 耶加雪菲 咖啡豆", "beans", None, (("200g", 98),)),
    ("manner", "Yunnan Natural Process Beans", "云南日晒 咖啡豆", "beans", None, (("250g", 79),)),
    (
        "yunnan",
        "Yunnan Arabica Medium Roast Beans",
        "云南小粒咖啡豆 中度烘焙",
        "beans",
        None,
        (("500g", 89), ("1kg", 159)),
    ),
    (
        "nespresso",
        "Original Ispirazione Ristretto Capsules (10)",
        "Original 意式浓缩胶囊 10颗",
        "capsules",
        "Nespresso Original",
        (("10 capsules", 45),),
    ),
    (
        "nespresso",
        "Original Variety Pack Capsules (50)",
        "Original 精选胶囊 50颗",
        "capsules",
        "Nespresso Original",
        (("50 capsules", 219),),
    ),
    (
        "nespresso",
        "Vertuo Melozio Capsules (10)",
        "Vertuo Melozio 咖啡胶囊 10颗",
        "capsules",
        "Nespresso Vertuo",
        (("10 capsules", 65),),
    ),
    (
        "nespresso",
        "Vertuo Variety Pack Capsules (40)",
        "Vertuo 精选胶囊 40颗",
        "capsules",
        "Nespresso Vertuo",
        (("40 capsules", 259),),
    ),
    (
        "starbucks",
        "Espresso Roast Capsules for Nespresso (10)",
        "浓缩烘焙 Nespresso 兼容胶囊 10颗",
        "capsules",
        "Nespresso Original",
        (("10 capsules", 49),),
    ),
    (
        "lavazza",
        "Espresso Capsules for Nespresso (10)",
        "Nespresso 兼容意式胶囊 10颗",
        "capsules",
        "Nespresso Original",
        (("10 capsules", 39),),
    ),
)

TOOTHBRUSHES = (
    ("philips", "Sonicare 3100 HX3671", "Sonicare 3100 HX3671 声波电动牙刷", 269, "sonicare", ("white", "pink")),
    ("philips", "Sonicare HX6730", "Sonicare HX6730 声波电动牙刷", 349, "sonicare", ("white",)),
    ("philips", "Sonicare 5300 HX6857", "Sonicare 5300 HX6857 声波电动牙刷", 599, "sonicare", ("white", "black")),
    (
        "philips",
        "Sonicare DiamondClean 9000 HX9911",
        "钻石亮白 9000 HX9911 声波电动牙刷",
        1699,
        "sonicare",
        ("black", "pink"),
    ),
    ("oralb", "iO Series 9", "iO9 微震科技电动牙刷", 2499, "oralb_io", ("black", "pink")),
    ("oralb", "iO Series 5", "iO5 微震科技电动牙刷", 999, "oralb_io", ("black", "white")),
    ("oralb", "Pro 4 Electric Toothbrush", "Pro 4 3D 声波电动牙刷", 499, "oralb_round", ("blue", "black")),
    ("mijia", "Sonic Electric Toothbrush T302", "声波电动牙刷 T302", 169, "mijia", ("white", "blue")),
    ("mijia", "Sonic Electric Toothbrush T700", "声波电动牙刷 T700", 399, "mijia", ("white",)),
    ("usmile", "Y10 Pro Sonic Toothbrush", "Y10 Pro 声波电动牙刷", 599, "usmile", ("white", "pink")),
    ("saky", "G32 Sonic Toothbrush", "G32 声波电动牙刷", 199, "saky", ("white",)),
)

HEAD_SYSTEMS = {
    "sonicare": ("Philips Sonicare click-on", "飞利浦 Sonicare 卡扣式"),
    "oralb_io": ("Oral-B iO", "欧乐B iO 系列"),
    "oralb_round": ("Oral-B round heads", "欧乐B 圆头系列"),
    "mijia": ("Mijia T-series", "米家 T 系列"),
    "usmile": ("usmile", "usmile 笑容加"),
    "saky": ("Saky", "舒客"),
}

HEADS = (
    ("philips", "Sonicare C2 Optimal Plaque Defence Heads (3)", "Sonicare C2 牙菌斑防护刷头 3支", 229, "sonicare"),
    ("philips", "Sonicare W2 Optimal White Heads (3)", "Sonicare W2 亮白刷头 3支", 229, "sonicare"),
    ("philips", "Sonicare G2 Optimal Gum Care Heads (3)", "Sonicare G2 牙龈护理刷头 3支", 259, "sonicare"),
    ("oralb", "iO Ultimate Clean Heads (4)", "iO 极致清洁刷头 4支", 399, "oralb_io"),
    ("oralb", "iO Gentle Care Heads (2)", "iO 温和护理刷头 2支", 199, "oralb_io"),
    ("oralb", "Precision Clean EB20 Heads (4)", "EB20 精准清洁刷头 4支", 139, "oralb_round"),
    ("oralb", "CrossAction EB50 Heads (4)", "EB50 多角度清洁刷头 4支", 199, "oralb_round"),
    ("mijia", "Universal Toothbrush Heads (3)", "T 系列通用刷头 3支", 59, "mijia"),
    ("usmile", "Replacement Brush Heads (3)", "替换刷头 3支", 99, "usmile"),
    ("saky", "Replacement Brush Heads (2)", "替换刷头 2支", 39, "saky"),
)

GIFT_CARDS = (
    (100, "e-card"),
    (200, "e-card"),
    (500, "e-card"),
    (1000, "e-card"),
    (500, "physical"),
    (1000, "physical"),
    (2000, "physical"),
)


def _home_and_care() -> Iterator[ProductSpec]:
    for brand, model, model_zh, price, kind, capsules, colours in COFFEE_MACHINES:
        for colour in colours[:2]:
            p = _product(
                "coffee_machine",
                brand,
                model,
                price,
                model_zh=model_zh,
                colour=colour,
                model=model,
                type=kind,
                capsule_system=capsules,
            )
            p.description_zh = f"{p.name_zh}，家用咖啡机，一键萃取，易清洁。"
            p.description_en = f"{p.name_en}: home coffee machine, one-touch brewing, easy to clean."
            yield p
    for brand, model, model_zh, form, system, sizes in COFFEE:
        for size, price in sizes:
            variant = "" if form in ("capsules", "instant") else size  # the count is in the model name
            p = _product(
                "coffee_beans",
                brand,
                model,
                price,
                variant_zh=variant,
                variant_en=variant,
                model_zh=model_zh,
                form=form,
                size=size,
                compatible_with=[system] if system else None,
                capsule_system=system,
            )
            p.description_zh = f"{p.name_zh}，新鲜烘焙，食品类商品拆封后不支持无理由退货。"
            p.description_en = (
                f"{p.name_en}: freshly roasted; food items cannot be returned without reason once opened."
            )
            yield p
    for brand, model, model_zh, price, system, colours in TOOTHBRUSHES:
        for colour in colours:
            p = _product(
                "electric_toothbrush",
                brand,
                model,
                price,
                model_zh=model_zh,
                colour=colour,
                model=model,
                head_system=system,
            )
            p.description_zh = f"{p.name_zh}，多种清洁模式，两分钟智能计时，个人护理用品拆封后不支持无理由退货。"
            p.description_en = (
                f"{p.name_en}: several cleaning modes and a two-minute timer; personal-care items "
                "cannot be returned without reason once opened."
            )
            yield p
    for brand, model, model_zh, price, system in HEADS:
        label_en, label_zh = HEAD_SYSTEMS[system]
        p = _product(
            "toothbrush_heads", brand, model, price, model_zh=model_zh, head_system=system, compatible_with=[label_en]
        )
        p.description_zh = f"{p.name_zh}，适用于{label_zh}电动牙刷，建议每三个月更换。"
        p.description_en = f"{p.name_en}: fits {label_en} toothbrushes; replace every three months."
        yield p
    for value, form in GIFT_CARDS:
        form_zh = "电子卡" if form == "e-card" else "实体卡"
        p = _product(
            "gift_card",
            "kefu",
            f"Gift Card ¥{value} ({form})",
            value,
            model_zh=f"礼品卡 ¥{value}（{form_zh}）",
            value=value,
            form=form,
        )
        p.description_zh = f"{p.name_zh}，全场通用，有效期三年，售出后不支持退换。"
        p.description_en = f"{p.name_en}: valid store-wide for three years; not refundable once sold."
        yield p


def build_catalog() -> list[ProductSpec]:
    """All demo products in a fixed order (ids are assigned from this order)."""
    generators = (
        _phones,
        _phone_accessories,
        _chargers,
        _earphones,
        _laptops,
        _peripherals,
        _cameras,
        _tablets_and_watches,
        _home_and_care,
    )
    return [p for gen in generators for p in gen()]
