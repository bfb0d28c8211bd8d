"""Slots of a question about a product, zh and en: a bare item number, and which detail is asked for.

`item_no` is a run of 10–14 digits standing alone (shoppers paste the number of a listing: "525873142019",
"538872953711是纸皮核桃吗"); an order id (`KF` + 8 digits) and a phone number are read before it, so neither becomes
one. `attribute` names the product detail asked about (`ATTRIBUTES`): the product tool answers it from the
product's fields, and as a slot it outlives the turn ("多少钱？" — "哪一款？" — "iPhone 16" answers the price).
"""

from __future__ import annotations

import re

from agent.nlu.spans import Found

ITEM_NO = re.compile(r"(?<![\dA-Za-z+#])(\d{10,14})(?!\d)")

# (attribute, pattern), most specific first: "多少钱一包" is a unit price before it is a price.
_ATTRIBUTES: tuple[tuple[str, str], ...] = (
    ("comparison", r"区别|不同之处|有什么不同|差别|对比|比较一下|哪个(?:好|更|划算|便宜|贵|值)|哪款(?:好|更)|"
                   r"\bdifferences?\b|\bcompare\b|\bcomparison\b|\bvs\.?(?=\s)|\bversus\b|\bwhich (?:one )?is "
                   r"(?:better|cheaper)\b|\bbetter than\b"),
    ("unit_price", r"单价|(?:一|每)(?:包|盒|袋|瓶|支|个|克|斤|杯|粒)多少钱|多少钱一(?:包|盒|袋|瓶|支|个|克|斤|杯|粒)|"
                   r"\bunit price\b|\bprice per\b|\bper (?:unit|cup|capsule|gram|100 ?g|pack|piece)\b"),
    ("pack_size", r"(?:一|每)(?:包|盒|袋|箱|瓶|套)(?:是|有|装)?(?:几|多少)|几(?:张|片|粒|颗|支|杯|克)|"
                  r"多少(?:克|g|毫升|ml|片|张|粒|颗|杯)(?!钱)|\bhow many (?:are )?(?:in|per)\b|"
                  r"\bhow many (?:pages|pieces|capsules|cups|pods|heads|cards|pens)\b|\bpack size\b|\bcount\b"),
    ("price", r"多少钱|价格|价钱|怎么卖|几块钱|售价|卖多少|贵不贵|(?:为什么|为啥|怎么).{0,6}(?:贵|便宜)|"
              r"\bhow much\b|\bprices?\b|\bcosts?\b|\bpricey\b|\bexpensive\b|\bcheaper\b"),
    ("stock", r"有货|有没有货|没货|库存|缺货|现货|还有吗|还有没有|卖完|售罄|"
              r"\bin stock\b|\bavailable\b|\bavailability\b|\bsold out\b|\bout of stock\b"),
    ("variants", r"几种颜色|哪些颜色|什么颜色可选|别的颜色|其他颜色|几个版本|哪些版本|几种规格|哪些(?:型号|款式|规格)|"
                 r"有(?:大|小)(?:号|的|一点的)吗|\bwhat colou?rs\b|\bother colou?rs\b|\bcolou?rs? (?:are )?available\b|"
                 r"\bvariants?\b|\bversions?\b|\b(?:which|what) sizes\b"),
    ("colour", r"颜色|什么色|哪个色|\bcolou?r\b"),
    ("capacity", r"容量|毫安|mAh|\bcapacity\b"),
    ("storage", r"内存|存储|多少G|几G|储存空间|\bstorage\b|\bmemory\b"),
    ("battery", r"续航|电池|电量|\bbattery\b|\bcharge lasts?\b"),
    ("size", r"尺寸|多大|大小|尺码|几寸|英寸|多长(?!时间)|多宽|多高|\bsize\b|\bhow big\b|\bdimensions?\b|"
             r"\binch(?:es)?\b|\bhow tall\b|\bheight\b"),
    ("weight", r"多重|重量|重不重|轻不轻|\bweigh(?:t|s)?\b|\bhow heavy\b|\bis it heavy\b"),
    ("material", r"材质|材料|什么做的|纯棉|全棉|真皮|硅胶|不锈钢|是皮的|是棉的|\bmaterial\b|\bmade (?:of|from)\b|"
                 r"\bleather\b|\bsilicone\b|\bcotton\b|\bstainless\b"),
    ("compatibility", r"适用|适配|兼容|能不能用|可以用在|能用在|能配|支持.{1,12}吗|"
                      r"\bcompatible\b|\bfits?\b|\bwork(?:s)? with\b|\bsuitable for\b|\bdoes it support\b"),
    ("in_box", r"包装里|盒子里|里面有|包含|含不含|配件|附带|带不带|送不送|有没有送|送什么|赠品|"
               r"\bin the box\b|\bcomes? with\b|\bincluded\b|\bincludes?\b|\bwhat'?s included\b"),
    ("specs", r"参数|配置|规格|性能|处理器|像素|摄像头|拍照|功率|防水|快充|双卡|"
              r"\bspecs?\b|\bspecifications?\b|\bprocessor\b|\bcpu\b|\bcamera\b|\bmegapixels?\b|\bwaterproof\b|"
              r"\bdual sim\b|\bfast charg"),
    ("brand", r"品牌|牌子|哪家的|哪个厂|\bbrand\b|\bmanufacturer\b|\bmade by\b"),
    ("date", r"生产日期|保质期|日期|哪天生产|新鲜吗|批次|\bexpir(?:y|ation|es)\b|\bbest before\b|"
             r"\bproduction date\b"),
    ("description", r"怎么样|好用吗|好不好用|好吃吗|是什么东西|介绍一下|有什么特点|质量如何|值得买|值不值|"
                    r"\bwhat is it\b|\bwhat'?s it about\b|\bwhat is .{1,40} about\b|\bany good\b|\bis it good\b|"
                    r"\bworth (?:it|buying)\b|\btell me (?:more )?about\b"),
)
ATTRIBUTES: tuple[str, ...] = tuple(name for name, _ in _ATTRIBUTES)
_COMPILED = tuple((name, re.compile(pattern, re.IGNORECASE)) for name, pattern in _ATTRIBUTES)


def item_no(text: str) -> Found | None:
    """A bare listing number: 10–14 digits not part of a longer number or word."""
    m = ITEM_NO.search(text)
    return Found(m.group(1), m.start(1), m.end(1)) if m else None


def attribute(text: str) -> str | None:
    """The product detail the text asks about, or None."""
    for name, pattern in _COMPILED:
        if pattern.search(text):
            return name
    return None
