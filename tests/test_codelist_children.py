"""CodeList.children: the items directly under a code, in the list's order (from an index built
once, so walking a tree of thousands of codes is linear)."""
from metadata.model import CodeItem, CodeList


def test_children_in_order_and_hierarchical():
    cl = CodeList("area", {"zh": "地区"}, (
        CodeItem("33", "浙江"), CodeItem("3301", "杭州", parent="33"), CodeItem("32", "江苏"),
        CodeItem("330106", "西湖", parent="3301"), CodeItem("3302", "宁波", parent="33"),
        CodeItem("330102", "上城", parent="3301")))
    assert [i.code for i in cl.children(None)] == ["33", "32"]
    assert [i.code for i in cl.children("33")] == ["3301", "3302"]
    assert [i.code for i in cl.children("3301")] == ["330106", "330102"]
    assert cl.children("32") == () and cl.children("nope") == ()
    assert cl.hierarchical
    flat = CodeList("size", {"zh": "规模"}, (CodeItem("s", "小"), CodeItem("l", "大")))
    assert not flat.hierarchical and [i.code for i in flat.children(None)] == ["s", "l"]
    assert cl == CodeList("area", {"zh": "地区"}, cl.items)       # the index takes no part in equality


def test_standard_region_tree(standard):
    from metadata.loader import load_packs
    region = load_packs([standard]).codelists["region"]
    assert {i.code for i in region.children("330100")} >= {"330102", "330106"}
    assert all(i.parent == "330000" for i in region.children("330000"))
    assert sum(len(region.children(i.code)) for i in region.items) + len(region.children(None)) == len(region.items)
