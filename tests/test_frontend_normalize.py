"""Text normalisation golden tests: one block per class of non-standard words."""
import pytest

from index_tts.frontend.normalize import normalize, strip_marks
from index_tts.frontend.numbers import read_decimal, read_digits, read_fraction, read_integer


def norm(text: str) -> str:
    return strip_marks(normalize(text))


@pytest.mark.parametrize(
    "n, expected",
    [("0", "零"), ("7", "七"), ("10", "十"), ("15", "十五"), ("20", "二十"), ("101", "一百零一"),
     ("110", "一百一十"), ("1005", "一千零五"), ("1010", "一千零一十"), ("2000", "两千"),
     ("2500", "两千五百"), ("10005", "一万零五"), ("100500", "十万零五百"), ("20000", "两万"),
     ("15000000", "一千五百万"), ("100000005", "一亿零五"), ("200000000", "两亿"), ("007", "七")],
)
def test_read_integer(n, expected):
    assert read_integer(n) == expected


def test_number_helpers():
    assert read_integer("2", liang=True) == "两" and read_integer("2") == "二"
    assert read_digits("13912345678", yao=True) == "幺三九幺二三四五六七八"
    assert read_digits("2023") == "二零二三"
    assert read_decimal("3.5") == "三点五" and read_decimal("0.25") == "零点二五"
    assert read_decimal("3.50", strip_zeros=True) == "三点五"
    assert read_fraction("3", "4") == "四分之三"
    assert read_integer("1" * 20) == "一" * 20  # too long for a cardinal: digit by digit


@pytest.mark.parametrize(
    "text, expected",
    [
        # integers, decimals, big numbers, measure words
        ("有12个人", "有十二个人"), ("2个人", "两个人"), ("2万", "两万"), ("1500万", "一千五百万"),
        ("3.5亿", "三点五亿"), ("0.5", "零点五"), ("1,000,000", "一百万"), ("2年级", "二年级"),
        # years and dates
        ("2023年", "二零二三年"), ("1998年", "一九九八年"), ("300年", "三百年"), ("2年", "两年"),
        ("9月23日", "九月二十三日"), ("2023年9月23日", "二零二三年九月二十三日"),
        ("2023-09-23", "二零二三年九月二十三日"), ("2019-2023年", "二零一九到二零二三年"),
        # times
        ("3点45分", "三点四十五分"), ("14:30", "十四点三十分"), ("14:05", "十四点零五分"),
        ("2:00", "两点"), ("9:30:15", "九点三十分十五秒"),
        # money
        ("240元", "二百四十元"), ("¥3.5", "三点五元"), ("3.50元", "三点五元"), ("$100", "一百美元"),
        ("2块", "两块"),
        # thousands separators with money signs and decimals; a sign plus its own unit is said once
        ("￥1,299.50元", "一千二百九十九点五元"), ("¥1,299.50", "一千二百九十九点五元"),
        ("12,345.6", "一万二千三百四十五点六"), ("$1,000,000", "一百万美元"), ("US$100", "一百美元"),
        ("$3.5美元", "三点五美元"), ("HK$50", "五十港元"), ("€20.00", "二十欧元"),
        ("售价$199,", "售价一百九十九美元"), ("1,2,3", "一，二，三"),
        # rates: a slash after an amount and its unit is 每; between bare words it stays a pause
        ("10元/件", "十元每件"), ("20元/人/天", "二十元每人每天"), ("3500元/月", "三千五百元每月"),
        ("男/女", "男 女"),
        # No.1, digits in e-mail addresses and domains
        ("行业No.1", "行业第一"), ("service@163.com", "service艾特幺六三 com"),
        # percentages, fractions, ordinals
        ("20%", "百分之二十"), ("增加了3.5%", "增加了百分之三点五"), ("20%-30%", "百分之二十到百分之三十"),
        ("3/4", "四分之三"), ("第19届", "第十九届"), ("第37号", "第三十七号"), ("第2个", "第二个"),
        # codes read digit by digit
        ("13912345678", "幺三九幺二三四五六七八"), ("房间号是1208", "房间号是幺二零八"),
        ("验证码是5821", "验证码是五八二幺"), ("010-12345678", "零幺零幺二三四五六七八"),
        ("101路公交", "幺零幺路公交"), ("RTX4090", "RTX四零九零"),
        ("门牌号是23号", "门牌号是二十三号"), ("5栋2单元302", "五栋二单元三零二"),
        ("ISBN 978-7-111-12345-6", "ISBN 九七八 七 幺幺幺 幺二三四五 六"),
        # landlines with the local number in two groups (read as a range and two amounts before session 15)
        ("021-5432 1098", "零二幺 五四三二 幺零九八"), ("0755-8888-6666", "零七五五 八八八八 六六六六"),
        ("(021) 5432 1098", "零二幺 五四三二 幺零九八"), ("（010）6234 5678", "零幺零 六二三四 五六七八"),
        ("05-08", "零五到零八"),  # too short for a phone number: still a range
        # codes after a label that ends in 码, or after "the last N digits" (were amounts before session 15)
        ("取件码是563218", "取件码是五六三二幺八"), ("卡号后四位是8866", "卡号后四位是八八六六"),
        ("末4位为1234", "末四位为幺二三四"), ("起码是500元", "起码是五百元"), ("尺码是42", "尺码是四十二"),
        ("前三位是我们班的", "前三位是我们班的"),
        # flight numbers with 幺; blood pressure as two readings, not a fraction (85分之130 before)
        ("CA1831航班", "CA幺八三幺航班"), ("MU5101次航班", "MU五幺零幺次航班"),
        ("血压130/85mmHg", "血压一百三十 八十五毫米汞柱"), ("血压是140/90", "血压是一百四十 九十"),
        ("高于140/90毫米汞柱", "高于一百四十 九十毫米汞柱"), ("3/4杯水", "四分之三杯水"),
        # square and cubic units beyond m (³ and ² were dropped), rates per unit sign (the sign was dropped)
        ("10cm³", "十立方厘米"), ("5mm²", "五平方毫米"), ("2㎢", "两平方公里"),
        ("32000元/㎡", "三万二千元每平方米"), ("32000元/m²", "三万二千元每平方米"), ("6元/kg", "六元每公斤"),
        ("72次/min", "七十二次每分钟"), ("每㎡", "每平方米"), ("9.8m/s²", "九点八米每二次方秒"),
        # units
        ("16GB", "十六GB"), ("5km", "五公里"), ("2km", "两公里"), ("3kg", "三公斤"), ("25℃", "二十五摄氏度"),
        ("-5℃", "零下五摄氏度"), ("10m²", "十平方米"), ("120km/h", "一百二十公里每小时"), ("5cm", "五厘米"),
        # ranges and symbols
        ("3-5天", "三到五天"), ("10:00-12:00", "十点到十二点"), ("9:30~10:15", "九点三十分到十点十五分"), ("10~20", "十到二十"), ("1+1=2", "一加一等于二"), ("A&B", "A和B"),
        ("a@b", "a艾特b"), ("比分3:2", "比分三比二"), ("-5", "负五"),
        # letters stay for the G2P, digits inside tokens read as Chinese digits
        ("5G", "五G"), ("MP3", "MP三"), ("Wi-Fi", "Wi-Fi"),
        # silent punctuation and dashes
        ("《红楼梦》", "红楼梦"), ("他——来了", "他，来了"), ("（注）", "注"),
    ],
)
def test_normalize_golden(text, expected):
    assert norm(text) == expected


def test_number_readings_are_single_words():
    out = normalize("1500万和13912345678")
    assert out.count("\x02") == out.count("\x03") >= 4  # 一千五百 + three phone groups
    assert "\x02一千五百\x03万" in out


@pytest.mark.parametrize(
    "text, expected",
    [
        # a dash after a number and its unit is a range too; 2 before a range's measure word is 两
        ("3月5日-7日", "三月五日到七日"), ("3岁-6岁", "三岁到六岁"), ("2-3人", "两到三人"), ("2~3天", "两到三天"),
        ("2到3个", "两到三个"),
        # subtraction; spans of years without 年; generations; dates named with a middle dot
        ("5-3=2", "五减三等于二"), ("2024-2025赛季", "二零二四到二零二五赛季"), ("（2019-2023）", "二零一九到二零二三"),
        ("80后", "八零后"), ("95后的员工", "九五后的员工"), ("3·15晚会", "三一五晚会"), ("5·1假期", "五一假期"),
        # durations written as clock times; a.m. / p.m.
        ("视频时长05:32", "视频时长五分三十二秒"), ("用时1:20:30", "用时一小时二十分三十秒"),
        ("9:00AM", "上午九点"), ("3pm出发", "下午三点出发"),
        # codes: resolutions, model numbers after an acronym and a space, plates with a gap, extensions
        ("1080P", "一零八零P"), ("720p高清", "七二零p高清"), ("RTX 4090", "RTX 四零九零"),
        ("粤B 12345", "粤B一二三四五"), ("021-12345678转808", "零二幺幺二三四五六七八转八零八"),
        # flats, salaries in 万, powers, pi
        ("2室1厅", "两室一厅"), ("车停在B2层", "车停在B二层"), ("月薪1.5w", "月薪一点五万"), ("x²+y²", "x平方加y平方"), ("π约等于3.14", "派约等于三点一四"),
    ],
)
def test_normalize_session10(text, expected):
    assert norm(text) == expected


def test_normalize_session10_limits():
    assert norm("2024-2025赛季") == "二零二四到二零二五赛季"
    assert norm("2000-2050元") == "两千到两千零五十元"  # amounts stay amounts
    assert norm("NBA 2000万") == "NBA 两千万"
    assert norm("10:00-12:00") == "十点到十二点"


@pytest.mark.parametrize(
    "text, expected",
    [
        # hundredths in sports results are read digit by digit; a count after 秒/米 stays a number
        ("博尔特跑出9秒58", "博尔特跑出九秒五八"), ("以3分40秒14夺冠", "以三分四十秒一四夺冠"),
        ("他以2米45的成绩夺冠", "他以两米四五的成绩夺冠"), ("他用了3秒30个字", "他用了三秒三十个字"),
        # units of finance and medicine; a rate per a number of units
        ("降息50bp", "降息五十个基点"), ("血糖为7.8mmol/L", "血糖为七点八毫摩尔每升"),
        ("耗电量为15kWh/100km", "耗电量为十五千瓦时每一百公里"), ("10元/件", "十元每件"),
        # a unit after 万/亿; Roman numeral signs
        ("面积为9.6万km²", "面积为九点六万平方公里"), ("约3亿kg", "约三亿公斤"), ("第Ⅱ卷第Ⅲ部分", "第二卷第三部分"),
    ],
)
def test_normalize_news(text, expected):
    assert norm(text) == expected
