"""Demo customers and places: names, masked-looking fake contact details, cities, carriers, hubs.

Everything is invented; emails use reserved example domains and phone numbers are shown masked.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

ZH_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜"
    "崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
ZH_GIVEN = (
    "伟",
    "芳",
    "娜",
    "秀英",
    "敏",
    "静",
    "丽",
    "强",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "秀兰",
    "霞",
    "平",
    "刚",
    "桂英",
    "浩然",
    "子涵",
    "欣怡",
    "梓萱",
    "宇轩",
    "一诺",
    "思远",
    "雨桐",
    "俊杰",
    "晓峰",
    "佳怡",
    "雅婷",
    "志强",
    "建华",
    "海燕",
    "文博",
    "嘉怡",
    "子轩",
    "诗涵",
    "梦瑶",
    "晨曦",
    "天佑",
    "若曦",
)
ZH_PINYIN = {
    "王": "wang",
    "李": "li",
    "张": "zhang",
    "刘": "liu",
    "陈": "chen",
    "杨": "yang",
    "黄": "huang",
    "赵": "zhao",
    "吴": "wu",
    "周": "zhou",
    "徐": "xu",
    "孙": "sun",
    "马": "ma",
    "朱": "zhu",
    "胡": "hu",
    "郭": "guo",
    "何": "he",
    "高": "gao",
    "林": "lin",
    "罗": "luo",
    "郑": "zheng",
    "梁": "liang",
}
EN_FIRST = (
    "James",
    "Mary",
    "John",
    "Patricia",
    "Robert",
    "Jennifer",
    "Michael",
    "Linda",
    "David",
    "Elizabeth",
    "William",
    "Barbara",
    "Richard",
    "Susan",
    "Joseph",
    "Jessica",
    "Thomas",
    "Sarah",
    "Daniel",
    "Karen",
    "Matthew",
    "Emily",
    "Anthony",
    "Olivia",
    "Mark",
    "Emma",
    "Paul",
    "Sophie",
    "Andrew",
    "Grace",
    "Lucas",
    "Chloe",
    "Oliver",
    "Hannah",
    "Ethan",
    "Amelia",
    "Noah",
    "Isabella",
    "Liam",
    "Charlotte",
)
EN_LAST = (
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Miller",
    "Davis",
    "Wilson",
    "Anderson",
    "Taylor",
    "Thomas",
    "Moore",
    "Martin",
    "Jackson",
    "Thompson",
    "White",
    "Harris",
    "Clark",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Green",
    "Baker",
    "Adams",
    "Nelson",
    "Hill",
    "Campbell",
    "Mitchell",
    "Roberts",
    "Carter",
    "Phillips",
    "Evans",
    "Turner",
    "Parker",
    "Collins",
)
PHONE_PREFIXES = (
    "133",
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "151",
    "152",
    "158",
    "159",
    "177",
    "181",
    "186",
    "187",
    "188",
    "189",
    "199",
)
EMAIL_DOMAINS = ("example.com", "example.cn", "example.net", "example.org")


@dataclass(frozen=True, slots=True)
class City:
    zh: str
    en: str
    districts: tuple[tuple[str, str], ...]  # (zh, en)
    streets: tuple[tuple[str, str], ...]


CITIES: tuple[City, ...] = (
    City(
        "上海市",
        "Shanghai",
        (
            ("浦东新区", "Pudong New Area"),
            ("徐汇区", "Xuhui District"),
            ("静安区", "Jing'an District"),
            ("闵行区", "Minhang District"),
        ),
        (("张江路", "Zhangjiang Rd"), ("淮海中路", "Middle Huaihai Rd"), ("世纪大道", "Century Ave")),
    ),
    City(
        "北京市",
        "Beijing",
        (("朝阳区", "Chaoyang District"), ("海淀区", "Haidian District"), ("东城区", "Dongcheng District")),
        (("建国路", "Jianguo Rd"), ("中关村大街", "Zhongguancun St"), ("望京街", "Wangjing St")),
    ),
    City(
        "广州市",
        "Guangzhou",
        (("天河区", "Tianhe District"), ("越秀区", "Yuexiu District"), ("番禺区", "Panyu District")),
        (("天河路", "Tianhe Rd"), ("环市东路", "Huanshi East Rd")),
    ),
    City(
        "深圳市",
        "Shenzhen",
        (("南山区", "Nanshan District"), ("福田区", "Futian District"), ("宝安区", "Bao'an District")),
        (("科技园路", "Keji Yuan Rd"), ("深南大道", "Shennan Blvd")),
    ),
    City(
        "杭州市",
        "Hangzhou",
        (("西湖区", "Xihu District"), ("滨江区", "Binjiang District"), ("余杭区", "Yuhang District")),
        (("文三路", "Wensan Rd"), ("江南大道", "Jiangnan Ave")),
    ),
    City(
        "成都市",
        "Chengdu",
        (("武侯区", "Wuhou District"), ("高新区", "High-tech Zone"), ("锦江区", "Jinjiang District")),
        (("天府大道", "Tianfu Ave"), ("人民南路", "South Renmin Rd")),
    ),
    City(
        "南京市",
        "Nanjing",
        (("鼓楼区", "Gulou District"), ("建邺区", "Jianye District")),
        (("中山路", "Zhongshan Rd"), ("江东中路", "Middle Jiangdong Rd")),
    ),
    City(
        "武汉市",
        "Wuhan",
        (("洪山区", "Hongshan District"), ("江汉区", "Jianghan District")),
        (("珞喻路", "Luoyu Rd"), ("解放大道", "Jiefang Ave")),
    ),
    City(
        "西安市",
        "Xi'an",
        (("雁塔区", "Yanta District"), ("碑林区", "Beilin District")),
        (("长安南路", "South Chang'an Rd"), ("南大街", "South St")),
    ),
    City(
        "苏州市",
        "Suzhou",
        (("工业园区", "Suzhou Industrial Park"), ("姑苏区", "Gusu District")),
        (("星湖街", "Xinghu St"), ("人民路", "Renmin Rd")),
    ),
    City(
        "重庆市",
        "Chongqing",
        (("渝中区", "Yuzhong District"), ("江北区", "Jiangbei District")),
        (("解放碑步行街", "Jiefangbei Walking St"), ("观音桥步行街", "Guanyinqiao Walking St")),
    ),
    City(
        "天津市",
        "Tianjin",
        (("和平区", "Heping District"), ("南开区", "Nankai District")),
        (("南京路", "Nanjing Rd"), ("卫津路", "Weijin Rd")),
    ),
)

# (carrier label, tracking prefix, digits, share)
CARRIERS = (
    ("顺丰速运 SF Express", "SF", 13, 40),
    ("京东物流 JD Logistics", "JDV", 12, 25),
    ("中通快递 ZTO Express", "7", 13, 15),
    ("圆通速递 YTO Express", "YT", 13, 12),
    ("中国邮政 EMS", "1", 12, 8),
)

WAREHOUSES = (
    ("上海青浦仓", "Shanghai Qingpu warehouse"),
    ("广州白云仓", "Guangzhou Baiyun warehouse"),
    ("北京大兴仓", "Beijing Daxing warehouse"),
    ("成都双流仓", "Chengdu Shuangliu warehouse"),
    ("武汉东西湖仓", "Wuhan Dongxihu warehouse"),
)
HUBS = (
    ("杭州转运中心", "Hangzhou sorting centre"),
    ("南京转运中心", "Nanjing sorting centre"),
    ("郑州转运中心", "Zhengzhou sorting centre"),
    ("武汉转运中心", "Wuhan sorting centre"),
    ("长沙转运中心", "Changsha sorting centre"),
    ("西安转运中心", "Xi'an sorting centre"),
    ("济南转运中心", "Jinan sorting centre"),
    ("天津转运中心", "Tianjin sorting centre"),
    ("东莞转运中心", "Dongguan sorting centre"),
    ("成都转运中心", "Chengdu sorting centre"),
    ("重庆转运中心", "Chongqing sorting centre"),
    ("苏州转运中心", "Suzhou sorting centre"),
    ("合肥转运中心", "Hefei sorting centre"),
    ("石家庄转运中心", "Shijiazhuang sorting centre"),
)


@dataclass(frozen=True, slots=True)
class Person:
    name: str
    language: str
    email: str
    phone: str
    address: str
    city: City
    district: tuple[str, str]


def _masked_phone(rng: random.Random) -> str:
    return f"{rng.choice(PHONE_PREFIXES)}****{rng.randint(0, 9999):04d}"


def _email(rng: random.Random, handle: str) -> str:
    masked = f"{handle[:2]}***{handle[-1]}" if len(handle) > 3 else f"{handle[:1]}***"
    return f"{masked}{rng.randint(1, 99)}@{rng.choice(EMAIL_DOMAINS)}"


def make_person(rng: random.Random, language: str) -> Person:
    """One fake customer; Chinese name and address for zh, English name and address for en."""
    city = rng.choice(CITIES)
    district = rng.choice(city.districts)
    street = rng.choice(city.streets)
    building = rng.randint(1, 999)
    if language == "zh":
        surname = rng.choice(ZH_SURNAMES)
        name = surname + rng.choice(ZH_GIVEN)
        handle = ZH_PINYIN.get(surname, "user") + str(rng.randint(70, 99) * 100 + rng.randint(1, 99))
        address = f"{city.zh}{district[0]}{street[0]}{building}号**栋**室"
    else:
        first, last = rng.choice(EN_FIRST), rng.choice(EN_LAST)
        name = f"{first} {last}"
        handle = f"{first}.{last}".lower()
        address = f"Room ***, No. {building} {street[1]}, {district[1]}, {city.en}"
    return Person(name, language, _email(rng, handle), _masked_phone(rng), address, city, district)


def tracking_number(rng: random.Random, prefix: str, digits: int) -> str:
    return prefix + "".join(str(rng.randint(0, 9)) for _ in range(digits))
