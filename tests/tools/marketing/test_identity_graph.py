"""The identity graph on plain rows: the same value written differently is one value, neighbours and lookalikes are
not, placeholders and hub values link nobody, components are transitive, and every link carries its evidence with
the values masked."""

from __future__ import annotations

import json

import pytest

from tools.marketing.insight.identity_graph import IdentifierRow, build_graph
from tools.marketing.insight.identity_keys import address_key, device_key, identifier_key, masked, phone_key
from tools.marketing.insight.identity_report import graph_dict, graph_lines

pytestmark = pytest.mark.unit


def rows(*triples: tuple[str, str, str]) -> list[IdentifierRow]:
    return [IdentifierRow(c, k, v) for c, k, v in triples]


@pytest.mark.parametrize("written", ["13812345678", "+86 138-1234-5678", "0086 138 1234 5678",
                                     "１３８１２３４５６７８"])
def test_a_phone_written_any_way_is_one_key(written: str) -> None:
    assert phone_key(written) == "13812345678"


@pytest.mark.parametrize("placeholder", ["13800000000", "13999999999", "12345", "", "unknown"])
def test_placeholder_and_invalid_phones_have_no_key(placeholder: str) -> None:
    assert phone_key(placeholder) is None


def test_addresses_fold_width_spacing_and_abbreviations_but_keep_the_room() -> None:
    a = "上海市浦东新区张杨路500号3栋1201室"
    assert address_key(a) == address_key("上海市浦东新区 张杨路５００号３幢１２０１室")
    assert address_key(a) != address_key("上海市浦东新区张杨路500号3栋1202室")  # the neighbour
    en = "Room 1203, Building 4, No. 88 Zhangyang Road, Pudong, Shanghai"
    assert address_key(en) == address_key("RM 1203, BUILDING 4, NO. 88 ZHANGYANG RD, PUDONG, SHANGHAI")
    assert address_key(en) != address_key(en.replace("1203", "1204"))


@pytest.mark.parametrize("placeholder", ["00000000-0000-0000-0000-000000000000", "unknown", "null", "", "aaaaaaaaaa"])
def test_placeholder_devices_have_no_key(placeholder: str) -> None:
    assert device_key(placeholder) is None


def test_shared_values_link_accounts_transitively_with_the_evidence_of_each_link() -> None:
    graph = build_graph(rows(
        ("A", "device", "3f2a9c1e-0000-4000-8000-00000000abcd"),
        ("B", "device", "3F2A9C1E-0000-4000-8000-00000000ABCD"),
        ("B", "address", "上海市浦东新区张杨路500号3栋1201室"),
        ("C", "address", "上海市浦东新区 张杨路５００号３栋１２０１室"),
        ("D", "address", "上海市浦东新区张杨路500号3栋1202室"),  # the neighbour: not linked
        ("E", "phone", "13812345678"), ("F", "phone", "13812345679"),  # one digit apart: not linked
        ("G", "device", "unknown"), ("H", "device", "unknown"),  # a placeholder: not linked
    ))
    assert [g.accounts for g in graph.groups] == [("A", "B", "C")]
    group = graph.group_of("C")
    assert group is not None and group.kinds == ("device", "address")
    links = {(link.a, link.b): link.kinds for link in group.links}
    assert links == {("A", "B"): ("device",), ("B", "C"): ("address",)}  # A and C share nothing directly
    assert graph.linked_to("A") == ("B", "C") and graph.linked_to("D") == () and graph.group_of("E") is None
    assert graph.accounts == 8


def test_a_value_shared_by_too_many_accounts_is_a_hub_not_evidence() -> None:
    pickup = "上海市浦东新区张江路88号 Kefu 自提点"
    graph = build_graph(rows(*[(f"C{i}", "address", pickup) for i in range(12)],
                             ("C1", "payment", "tok_1111222233334444"), ("C2", "payment", "tok_1111222233334444")),
                        hub_limit=8)
    assert [g.accounts for g in graph.groups] == [("C1", "C2")]  # linked by the card, not by the pickup point
    assert len(graph.hubs) == 1 and len(graph.hubs[0].accounts) == 12 and graph.hubs[0].kind == "address"


def test_kinds_can_be_restricted() -> None:
    home = "北京市朝阳区建国路88号1栋101室"
    shared = rows(("A", "address", home), ("B", "address", home))
    assert build_graph(shared).groups and not build_graph(shared, kinds=("device", "payment")).groups


def test_what_operators_see_is_masked() -> None:
    phone, address, token = "13812345678", "上海市浦东新区张杨路500号3栋1201室", "tok_9f3c5a7b1d2e4f60"
    graph = build_graph(rows(("A", "phone", phone), ("B", "phone", "+86 138 1234 5678"), ("A", "address", address),
                             ("B", "address", address), ("A", "payment", token), ("B", "payment", token)))
    shown = json.dumps(graph_dict(graph), ensure_ascii=False) + "\n".join(graph_lines(graph))
    for secret in (phone, "1234 5678", "张杨路", "500号", "1201", token):
        assert secret not in shown, secret
    values = {v["kind"]: v["value"] for v in graph_dict(graph)["groups"][0]["evidence"]}
    assert values["phone"].startswith("138****5678 #") and values["address"].startswith("上海市浦东新区*** #")
    assert values["payment"].startswith("token …4f60 #")
    assert masked("phone", "+86 138 1234 5678") == masked("phone", phone)  # one value, one fingerprint
    assert identifier_key("fax", "123") is None
