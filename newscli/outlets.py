"""Per-outlet rules: what is site furniture in each outlet's pages, the zone of its date
line, and where it names its reporters. A table of data read by parse.py, not if-chains.

Measured on the whole waimei-2020 archive (bench/audit_parse.py): every rule removes a
string that is never article text, and recall of the body's text nodes stays >= 0.99.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import tzinfo

from newscli.dates import BEIJING, UTC


@dataclass(frozen=True)
class OutletRules:
    # CSS selectors of elements removed from the HTML before it is read.
    drop_selectors: tuple[str, ...] = ()
    # A block whose whole text matches one of these is dropped.
    drop_blocks: tuple[re.Pattern[str], ...] = ()
    # Suffixes the outlet's feed appends to every title.
    title_suffixes: tuple[str, ...] = ()
    # The zone of a body date line that names none (NYT writes Beijing time).
    dateline_zone: tzinfo = UTC
    # Patterns with a `names` group naming the reporter(s), tried on the first and the
    # last blocks of the body.
    reporters: tuple[re.Pattern[str], ...] = ()
    # The first paragraph "dd/mm/yyyy - hh:mm" is the publication time, Paris local (RFI).
    paris_dateline: bool = False
    # Links removed (with their text) when their text starts with one of these: a link to
    # another article set inside this one's text ("延伸阅读：headline"), not its text.
    drop_links: tuple[re.Pattern[str], ...] = ()


def _blocks(*patterns: str) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(pattern, re.S) for pattern in patterns)


# Rules every outlet gets: the archive's own feed footer, added to pages of many outlets.
COMMON = OutletRules(
    drop_blocks=_blocks(
        r"获取更多RSS[：:]?(?:\s*https?://\S+)*\s*",
        # A paragraph of "further reading" headlines (China Digital Times, DW, CNA).
        r"(?:延伸|更多)(?:阅读|閱讀)\s*(?:[：:》].*)?",
    ),
    # "延伸阅读：headline" / "延伸閱讀》headline" links to other articles, set inside the text
    # by DW and CNA and kept by those who republish them (China Digital Times).
    drop_links=(re.compile(r"\s*(?:延伸|更多)(?:阅读|閱讀)"),),
)

# The layout without the archive header (front matter + HTML only): its site logo is one
# character (dropped when it is the first block), and its pages end with "Related" and a
# list of headlines (dropped when everything after the label is headlines).
HEADERLESS_RELATED = frozenset({"Related", "相关", "相關", "相关文章", "相關文章"})

# Place names that follow a reporter's name in datelines ("江今葉華盛頓"), so a two-
# character name is told from a three-character one. Longest first.
PLACES = tuple(
    sorted(
        """台北 臺北 新北 台中 臺中 台南 臺南 高雄 桃園 新竹 苗栗 彰化 南投 雲林 嘉義 屏東 宜蘭
        花蓮 台東 臺東 澎湖 金門 馬祖 連江 基隆 台灣 臺灣 台湾 香港 澳門 北京 上海 廣州 深圳
        成都 武漢 東京 大阪 首爾 新加坡 曼谷 河內 雅加達 馬尼拉 吉隆坡 新德里 孟買 雪梨
        墨爾本 華盛頓 紐約 洛杉磯 舊金山 休士頓 芝加哥 波士頓 多倫多 溫哥華 渥太華 倫敦
        巴黎 柏林 布魯塞爾 日內瓦 羅馬 馬德里 莫斯科 維也納 布拉格 華沙 斯德哥爾摩 雅典
        耶路撒冷 開羅 杜拜 約翰尼斯堡 聖保羅 墨西哥 布宜諾斯艾利斯 檀香山 聖地牙哥 西雅圖
        台北市 纽约 华盛顿 洛杉矶 旧金山 休斯顿 多伦多 温哥华 伦敦 巴黎 柏林 东京 首尔 悉尼
        墨尔本 香港 台北 北京 上海 新泽西 芝加哥 波士顿 费城 达拉斯 亚特兰大 蒙特利尔 卡尔加里
        渥太华 奥克兰 法兰克福 慕尼黑 日内瓦 罗马 布拉格 华沙 莫斯科 首爾 曼谷""".split(),
        key=len,
        reverse=True,
    )
)

RULES: dict[str, OutletRules] = {
    "(臺)中央社CNA": OutletRules(
        drop_selectors=(
            "div.moreArticle",  # 延伸閱讀: related headlines run together
            "div.dictionary-box",  # glossary pop-up inside a sentence (…小百科 看更多 關閉)
        ),
        drop_blocks=_blocks(r"上午8點同步發送電子報！快來訂閱「早安世界」.*"),
        reporters=(
            # （中央社記者江今葉華盛頓4日專電）, （…台北2020年8月14日電）, （…柏林特稿）
            re.compile(
                r"（中央社(?:駐[^（）記]{1,6})?記者(?P<names>[^（）\d]{2,40}?)"
                r"(?:(?:\d{4}年)?(?:\d{1,2}月)?\d{1,2}日[^（）\d]{0,8}?|特稿)）"
            ),
        ),
    ),
    # DW sets "延伸阅读：" / "更多阅读：" + another article's headline (and sometimes its
    # teaser) inside its text: as a link (dropped by COMMON's drop_links), or as a paragraph
    # that starts with the label (dropped whole here). Not this article's text, and a source
    # of false hits in search.
    "德国之声": OutletRules(
        drop_blocks=_blocks(r"(?:延伸|更多)阅读.*"),
    ),
    "法广": OutletRules(
        drop_selectors=(".m-interstitial__ad", ".m-block-ad"),  # the ad label 广告
        drop_blocks=_blocks(r"广告"),
        title_suffixes=(" – 法国国际广播电台 - RFI", " - 法国国际广播电台 - RFI"),
        paris_dateline=True,
    ),
    "路透": OutletRules(
        title_suffixes=(" | 路透",),
        reporters=(
            # The closing attribution: "发稿 沈燕；撰写 宿泱韫; 审校 杨淑祯", "记者 梁慧仪; 审校 …"
            re.compile(
                r"(?:^|[；;]\s*)(?:撰写|记者)\s*"
                r"(?P<names>[^；;，,、\s]{2,12}(?:、[^；;，,、\s]{2,12})*)"
            ),
        ),
    ),
    "BBC": OutletRules(
        drop_selectors=("time",),  # "59 分钟前": a relative time, stale once archived
        drop_blocks=_blocks(
            r"\d+\s*(?:分钟|小时|天|分鐘|小時)前",
            r"使用浏览器播视频.*",
            r"\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日",  # a bare date line
            r'"?>',  # a stray '">' left by a broken attribute
        ),
    ),
    "中国数字时代": OutletRules(
        drop_blocks=_blocks(r"Feed enhanced by\s*Better Feed\s*from\s*Ozh")
    ),
    "纽约时报": OutletRules(
        dateline_zone=BEIJING,
        drop_blocks=_blocks(
            r"[（(]欢迎点击此处订阅[^）)]*[）)]",
            r"感谢阅读今天的简报，新读者请点击此处订阅.*",
        ),
    ),
    "经济学人en": OutletRules(
        drop_blocks=_blocks(
            r"Listen on: ?Apple Podcasts.*",
            r"For full access to print, digital and audio editions of The Economist, subscribe here.*",
            r"Please subscribe to The Economist for full access to print, digital and audio editions.*",
        ),
    ),
    "美国之音": OutletRules(drop_blocks=_blocks(r"《[^》]{1,20}》YouTube播放列表[：:]\s*\S*")),
    "大纪元": OutletRules(
        drop_blocks=_blocks(
            r"【支持】.*donate\.epochtimes\.com\S*", r".*https://donate\.epochtimes\.com/?"
        ),
        reporters=(re.compile(r"（大[纪紀]元记者(?P<names>[^（）]{2,40}?)报导）"),),
    ),
    "自由亚洲电台": OutletRules(
        drop_selectors=("#zoomattribute",),  # the zoom icon: a second copy of the image
        reporters=(
            re.compile(
                r"^[（(]?记者[：:]\s*(?P<names>[^\s、，,]{2,12}(?:[、，,][^\s、，,]{2,12})*)"
            ),
            re.compile(
                r"^自由亚洲电台记者\s*(?P<names>[^\s责报]{2,30})(?:\s+[^\s责报]{1,12})?\s*(?:报[道导]|责编)"
            ),
        ),
    ),
}

NO_RULES = OutletRules()


def rules_for(outlet: str) -> OutletRules:
    return RULES.get(outlet, NO_RULES)


_SUFFIX_WORDS = re.compile(
    r"(?:综合|編譯|编译|采访|採訪|专访|專訪|综合外電|綜合|外電|报道|报导|報導)+$"
)


def reporter_names(raw: str) -> list[str]:
    """ "張茗喧、吳欣紜台北" → ["張茗喧", "吳欣紜"]: names, then maybe a place, a suffix."""
    parts = [part.strip() for part in re.split(r"[、，,/／]", raw) if part.strip()]
    names: list[str] = []
    for index, part in enumerate(parts):
        part = _SUFFIX_WORDS.sub("", part).strip()
        if " " in part:
            part = part.split()[0]
        if index == len(parts) - 1:
            part = _strip_place(part)
        if 2 <= len(part) <= 4:
            names.append(part)
    return names


def _strip_place(part: str) -> str:
    """The name before a place: a place starting at 2 or 3 characters decides the length."""
    for length in (3, 2, 4):
        rest = part[length:]
        if rest and any(rest.startswith(place) for place in PLACES):
            return part[:length]
    if len(part) <= 4:
        return part
    return part[:3]
