"""Disguised forms of fraud keywords, numbers and links, each with its plain form.

``NORMALIZE_CASES``: (technique, disguised text, plain text). The normalized
disguised text must EQUAL the normalized plain text (what a rule keyword becomes).
``NORMALIZE_NEGATIVES``: (ordinary text, keyword) pairs where the keyword must NOT
appear in the normalized text. ``EXTRACT_CASES``: (technique, text, kind, value).
"""

from __future__ import annotations

ZW = "\u200b"  # zero-width space
ZWJ = "\u200d"
WJ = "\u2060"  # word joiner
BOM = "\ufeff"

NORMALIZE_CASES: list[tuple[str, str, str]] = [
    # --- separators between characters
    ("separator", "刷 单", "刷单"),
    ("separator", "刷*单", "刷单"),
    ("separator", "刷_单", "刷单"),
    ("separator", "验#证#码", "验证码"),
    ("separator", "验 证 码", "验证码"),
    ("separator", "验-证-码", "验证码"),
    ("separator", "验.证.码", "验证码"),
    ("separator", "验/证/码", "验证码"),
    ("separator", "刷　单", "刷单"),  # ideographic space
    ("separator", "刷 * 单", "刷单"),
    ("separator", "刷~单", "刷单"),
    ("separator", "刷|单", "刷单"),
    ("separator", "刷♥单", "刷单"),
    ("separator", "刷😀单", "刷单"),
    ("separator", "快来刷*单赚钱", "快来刷单赚钱"),
    ("separator", "兼@职@日@结", "兼职日结"),
    ("separator", "代 /开/发 /票", "代开发票"),
    ("separator", "全.产.权", "全产权"),
    ("separator", "爆!爆!爆", "爆爆爆"),
    ("separator", "提】【现】【秒】【到", "提现秒到"),
    ("separator", "安 全 账 户", "安全账户"),
    ("separator", "刷\t单", "刷单"),
    ("separator", "税--票", "税票"),
    ("separator", "加 v x", "加vx"),
    ("separator", "公+检+法", "公检法"),
    ("separator", "贷=款", "贷款"),
    ("separator", "征&信&修&复", "征信修复"),
    ("separator", "返 利", "返利"),
    # --- full width and case
    ("width", "ＶＸ", "vx"),
    ("width", "ＱＱ群", "qq群"),
    ("width", "ＡＰＰ下载", "app下载"),
    ("width", "１３８００１３８０００", "13800138000"),
    ("width", "ｗｗｗ．ｉｃｂｃ．ｃｏｍ", "www.icbc.com"),
    ("width", "刷单　返利", "刷单 返利"),
    ("case", "VIP会员", "vip会员"),
    ("case", "WeChat", "wechat"),
    ("case", "USDT充值", "usdt充值"),
    ("case", "ＵＳＤＴ", "usdt"),
    # --- compatibility forms (NFKC)
    ("nfkc", "㊙密", "秘密"),
    ("nfkc", "ﬁnance", "finance"),
    ("nfkc", "𝐕𝐈𝐏", "vip"),
    ("nfkc", "𝟏𝟑𝟖", "138"),
    ("nfkc", "⒈刷单", "1.刷单"),
    ("nfkc", "㍿", "株式会社"),
    ("nfkc", "⼑", "刀"),  # Kangxi radical
    ("nfkc", "\uf9e4财", "理财"),  # CJK compatibility ideograph
    # --- traditional characters
    ("t2s", "驗證碼", "验证码"),
    ("t2s", "貸款", "贷款"),
    ("t2s", "刷單返利", "刷单返利"),
    ("t2s", "銀行賬戶", "银行账户"),
    ("t2s", "公檢法", "公检法"),
    ("t2s", "投資理財", "投资理财"),
    ("t2s", "徵信", "征信"),
    ("t2s", "殺豬盤", "杀猪盘"),
    ("t2s", "乾淨", "干净"),
    ("t2s", "頭髮", "头发"),
    ("t2s", "網貸", "网贷"),
    ("t2s", "轉賬", "转账"),
    ("t2s", "退貨退款", "退货退款"),
    ("t2s", "客服電話", "客服电话"),
    # --- invisible characters
    ("invisible", f"刷{ZW}单", "刷单"),
    ("invisible", f"验{ZWJ}证{ZW}码", "验证码"),
    ("invisible", f"贷{WJ}款", "贷款"),
    ("invisible", f"{BOM}刷单", "刷单"),
    ("invisible", "刷\u00ad单", "刷单"),  # soft hyphen
    ("invisible", "刷\u202e单", "刷单"),  # right-to-left override
    ("invisible", "刷\u3164单", "刷单"),  # hangul filler
    ("invisible", "刷\u0332单\u0332", "刷单"),  # combining low line
    ("invisible", "刷\u20dd单\u20dd", "刷单"),  # combining enclosing circle
    ("invisible", "刷\ufe0f单", "刷单"),  # variation selector
    ("invisible", "刷\U000e0041单", "刷单"),  # tag character
    ("invisible", "刷\u2800单", "刷单"),  # braille blank
    ("invisible", "刷\x07单", "刷单"),  # control character
    # --- repeated characters
    ("repeat", "刷刷刷单", "刷单"),
    ("repeat", "刷单单单单", "刷单"),
    ("repeat", "返返返返利", "返利"),
    ("repeat", "加加加微信", "加微信"),
    ("repeat", "验证码码码", "验证码"),
    # --- digit variants
    ("digits", "①③⑧", "138"),
    ("digits", "❶❸❽", "138"),
    ("digits", "➀➂➇", "138"),
    ("digits", "⓵⓷⓼", "138"),
    ("digits", "¹³⁸", "138"),
    ("digits", "₁₃₈", "138"),
    ("digits", "١٣٨", "138"),  # Arabic-Indic
    ("digits", "⑴⑶⑻", "(1)(3)(8)"),
    ("digits", "一三八零零一三八零零零", "13800138000"),
    ("digits", "壹叁捌零零壹叁捌零零零", "13800138000"),
    ("digits", "幺三八", "138"),
    ("digits", "二〇二四年", "2024年"),
    ("digits", "138零零一三八零零零", "13800138000"),
    ("digits", "qq九八七六五四三", "qq9876543"),
    ("digits", "貳參陸", "236"),
    ("digits", "⑩元", "10元"),
    ("digits", "⓪①", "01"),
    # --- look-alikes and homophones (built-in map)
    ("lookalike", "代歀", "贷款"),
    ("lookalike", "贷歀", "贷款"),
    ("lookalike", "茺值", "充值"),
    ("lookalike", "菿账", "到账"),
    ("lookalike", "加薇信", "加微信"),
    ("lookalike", "徽信", "微信"),
    ("lookalike", "V信", "微信"),
    ("lookalike", "Ｖ信", "微信"),
    ("lookalike", "扌是现", "提现"),
    ("lookalike", "兼耳只", "兼职"),
    ("lookalike", "代款", "贷款"),
    # --- combinations
    ("combined", "驗 證 碼", "验证码"),
    ("combined", f"貸{ZW}歀", "贷款"),
    ("combined", "刷*單*返*利", "刷单返利"),
    ("combined", "Ｖ 信", "微信"),
    ("combined", f"①{ZW}③{ZW}⑧", "138"),
    ("combined", "徵 信 修 復", "征信修复"),
    ("combined", "扌 是 现", "提现"),
    ("combined", "殺*豬*盤", "杀猪盘"),
]

# Ordinary messages that contain the characters of a keyword with a separator
# between them: the keyword must not be produced.
NORMALIZE_NEGATIVES: list[tuple[str, str]] = [
    ("我要刷卡，单位报销", "刷单"),
    ("今天刷 单位的卡", "刷单"),
    ("我刷了卡。单据已寄出", "刷单"),
    ("图片,请查收", "片请"),
    ("恭喜中奖,中午来领", "奖中"),
    ("雾霾”怨不得别人", "霾怨"),
    ("颜色：红、黄、蓝", "红黄"),
    ("我们去刷\n单车吧", "刷单"),
    ("验证一下，证码已发", "验证码"),
    ("谢谢，再见。好的", "见好"),
    ("你好 我是张三 请回电", "好我"),
    ("哈哈 好", "哈好"),
    ("好的 明天见", "的明"),
    ("请于3日前办理。逾期作废", "理逾"),
    ("价格3.5 元", "35"),
    ("订单1000元", "10元"),
    ("一起去吃饭", "1起"),
    ("第一名", "1名"),
    ("十一月", "11"),
    ("三五成群", "35"),
    ("安徽省", "安微"),
    ("紫薇花", "紫微"),
    ("代表大会", "贷表"),
    ("★全场五折★买一送一", "折买"),
    ("元/月", "元月"),
]

EXTRACT_CASES: list[tuple[str, str, str, str]] = [
    # --- URLs
    ("url", "登录 http://evil.com/x 领取", "url", "evil.com"),
    ("url", "登录 https://Evil.COM/Pay?id=1", "url", "evil.com"),
    ("url defanged", "hxxp://evil[.]com/x", "url", "evil.com"),
    ("url defanged", "hxxps://evil(.)com", "url", "evil.com"),
    ("url defanged", "h**p://evil[dot]com", "url", "evil.com"),
    ("url spaces", "http:// evil . com /x", "url", "evil.com"),
    ("url full-width", "ｈｔｔｐ：／／ｅｖｉｌ．ｃｏｍ", "url", "evil.com"),
    ("url ideographic dot", "http://evil。com", "url", "evil.com"),
    ("url idn", "http://例子.中国/x", "url", "xn--fsqu00a.xn--fiqs8s"),
    ("url punycode", "http://xn--fsqu00a.xn--fiqs8s", "url", "xn--fsqu00a.xn--fiqs8s"),
    ("url ip", "http://1.2.3.4:8080/a", "url", "1.2.3.4"),
    ("url www", "www.icbc-verify.top 核实", "url", "www.icbc-verify.top"),
    ("url short", "鸡翅 t.cn/R7t0CoD 。", "url", "t.cn"),
    ("url port", "http://evil.com:8443/login", "url", "evil.com"),
    # --- bare domains
    ("domain", "访问 evil.com 领取", "domain", "evil.com"),
    ("domain", "访问evil.top领取", "domain", "evil.top"),
    ("domain 点", "访问 abc点com", "domain", "abc.com"),
    ("domain ideographic dot", "访问 icbc。com", "domain", "icbc.com"),
    ("domain defanged", "evil[.]xyz", "domain", "evil.xyz"),
    ("domain look-alike", "1cbc.c0m", "domain", "1cbc.c0m"),
    ("domain look-alike", "icbc-verify.t0p", "domain", "icbc-verify.t0p"),
    ("domain digits", "go.10086.cn", "domain", "go.10086.cn"),
    ("ip", "服务器 45.76.1.2 登录", "ip", "45.76.1.2"),
    # --- phones
    ("phone", "询18950585318[菲迅咨询]", "phone", "8618950585318"),
    ("phone dashes", "致电 138-0013-8000", "phone", "8613800138000"),
    ("phone spaces", "致电 138 0013 8000", "phone", "8613800138000"),
    ("phone dots", "致电 138.0013.8000", "phone", "8613800138000"),
    ("phone +86", "+86 138 0013 8000", "phone", "8613800138000"),
    ("phone 0086", "0086-13800138000", "phone", "8613800138000"),
    ("phone 86", "86 13800138000", "phone", "8613800138000"),
    ("phone landline", "电话010-12345678", "phone", "861012345678"),
    ("phone landline", "(0755)88888888", "phone", "8675588888888"),
    ("phone international", "+852 2345 6789", "phone", "85223456789"),
    ("phone international", "00855 12 345 678", "phone", "85512345678"),
    ("phone service", "致电95588", "phone", "8695588"),
    ("phone 400", "400-123-4567", "phone", "864001234567"),
    ("phone full-width", "１３８００１３８０００", "phone", "8613800138000"),
    ("phone circled", "①③⑧⓪⓪①③⑧⓪⓪⓪", "phone", "8613800138000"),
    ("phone chinese", "一三八零零一三八零零零", "phone", "8613800138000"),
    ("phone capital", "壹叁捌零零壹叁捌零零零", "phone", "8613800138000"),
    ("phone mixed", "138零零一三八零零零", "phone", "8613800138000"),
    ("phone 一 as dash", "137一5613一2795", "phone", "8613756132795"),
    ("phone zero-width", f"138{ZW}0013{ZW}8000", "phone", "8613800138000"),
    # --- messengers
    ("qq", "QQ:12345678", "qq", "12345678"),
    ("qq", "加qq 12345678", "qq", "12345678"),
    ("qq", "扣扣：87654321", "qq", "87654321"),
    ("qq", "企鹅号 1234567", "qq", "1234567"),
    ("qq full-width", "ＱＱ１２３４５６７８", "qq", "12345678"),
    ("qq chinese", "qq一二三四五六七八", "qq", "12345678"),
    ("wechat", "加微信：abc_123", "wechat", "abc_123"),
    ("wechat", "VX:Scam-Boss", "wechat", "scam-boss"),
    ("wechat", "V信 fraud888", "wechat", "fraud888"),
    ("wechat", "weixin: abcdef", "wechat", "abcdef"),
    ("wechat", "wx=abcdef1", "wechat", "abcdef1"),
    ("wechat", "加V：abcdef", "wechat", "abcdef"),
    ("wechat phone", "微信 13800138000", "wechat", "13800138000"),
    ("telegram", "飞机 @scam_boss", "telegram", "scam_boss"),
    ("telegram", "纸飞机：@money_777", "telegram", "money_777"),
    ("telegram", "TG: @abcde", "telegram", "abcde"),
    ("telegram", "telegram @usdt_otc", "telegram", "usdt_otc"),
    ("telegram link", "t.me/another_one", "telegram", "another_one"),
]

# Text where nothing of the given kind may be extracted.
EXTRACT_NEGATIVES: list[tuple[str, str]] = [
    ("订单号20191380013800099已发货", "phone"),
    ("身份证 110101199003071234", "phone"),
    ("消费人民币327.62元", "phone"),
    ("日期2019.05.01", "phone"),
    ("价格95000元", "phone"),
    ("¥95588", "phone"),
    ("文件 photo.jpg 已发送", "domain"),
    ("圆周率3.14159", "domain"),
    ("邮箱 abc@qq.com", "domain"),
    ("微信支付成功", "wechat"),
    ("QQ群很热闹", "qq"),
    ("坐飞机去北京", "telegram"),
    ("版本 v1.2.3", "ip"),
    ("谢谢。再见", "domain"),
]
