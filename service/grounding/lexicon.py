"""Vocabulary of the grounding guard: features, attribute values, synonyms, negation.

Data, not logic. Three kinds of entries:
- POLAR concepts (product features, care instructions): a claim and the evidence
  must agree on their polarity ("방수: 없음" vs "방수됩니다"). Each alias has a
  sign: "구김" (wrinkles) is the negative form of wrinkle resistance, so
  "구김이 잘 안 가요" (negated negative) asserts the feature.
- ATTRIBUTE values (colour, material, fit, season): one value of a closed set;
  a different value of the same group in the evidence's spec line contradicts.
  Values found in knowledge/products.jsonl are added at run time.
- SYNONYMS: Korean and English surface forms mapped to one Korean term, so
  lexical overlap works across paraphrase and across languages.
Patterns are regexes over lower-cased text; Korean matches must also sit on
morpheme boundaries (checked by the caller), so "면" never matches "면접".
"""

from __future__ import annotations

import re

from service.retrieval.records import FEATURES

# ----------------------------------------------------------------- polar concepts

# concept -> [(pattern, sign)]; the longest match wins, so "생활방수" beats "방수".
POLAR: dict[str, list[tuple[str, int]]] = {
    "waterproof": [(r"방수", 1), (r"water[- ]?proof(?:ing)?", 1)],
    "water_repellent": [
        (r"생활\s?방수(?:\s?\(발수\))?", 1), (r"발수", 1),
        (r"water[- ]repellen(?:t|cy)", 1), (r"water[- ]resistan(?:t|ce)", 1), (r"shower[- ]?proof", 1), (r"\bdwr\b", 1),
    ],
    "windproof": [(r"방풍", 1), (r"바람을\s?(?:막|차단)", 1), (r"wind[- ]?proof", 1), (r"wind[- ]resistant", 1), (r"blocks?\s+(?:the\s+)?wind", 1)],
    "stretch": [
        (r"신축성?", 1), (r"스트레치", 1), (r"스판(?!덱스)", 1), (r"잘\s?늘어나", 1),
        (r"stretch(?:y|able|iness)?", 1), (r"elastic(?:ity)?", 1), (r"non[- ]stretch(?:y)?", -1), (r"rigid", -1),
    ],
    "lining": [(r"안감", 1), (r"\blining\b", 1), (r"(?<!fleece[- ])\blined\b", 1), (r"\bunlined\b", -1)],
    "see_through": [
        (r"비침", 1), (r"비치", 1), (r"비쳐", 1), (r"시스루", 1),
        (r"see[- ]?through", 1), (r"\bsheer\b", 1), (r"transparen(?:t|cy)", 1), (r"\bopaque\b", -1),
    ],
    "pockets": [(r"주머니", 1), (r"포켓", 1), (r"\bpockets?\b", 1)],
    "machine_washable": [
        (r"세탁기", 1), (r"기계\s?세탁", 1),
        (r"machine[- ]?wash(?:able|ed|ing)?", 1), (r"washing\s+machine", 1), (r"in\s+the\s+washer", 1),
    ],
    "wrinkle_resistant": [
        (r"구김\s?방지", 1), (r"구김\s?(?:이\s?)?(?:적|덜)", 1), (r"구김", -1), (r"구겨", -1),
        (r"wrinkle[- ](?:resistant|free|resistance)", 1), (r"anti[- ]wrinkle", 1), (r"non[- ]iron", 1),
        (r"\bwrinkl(?:e|es|ed|ing)\b", -1), (r"\bcreas(?:e|es|ed|ing)\b", -1),
    ],
    "fleece_lined": [(r"기모", 1), (r"fleece[- ]lined", 1), (r"fleece\s+lining", 1), (r"brushed\s+(?:inside|interior|lining|fleece)", 1)],
    "uv_protection": [(r"자외선\s?차단", 1), (r"uv\s?차단", 1), (r"uv[- ]?(?:protection|protective|blocking|cut)", 1), (r"\bupf\b", 1), (r"sun\s+protection", 1)],
    "adjustable_strap": [
        (r"길이\s?조절\s?(?:이\s?)?(?:가능한\s?|되는\s?)?(?:스트랩|어깨\s?끈)", 1), (r"(?:스트랩|어깨\s?끈)\s?(?:의\s?)?(?:길이\s?)?조절", 1),
        (r"(?:스트랩|어깨\s?끈)(?:\s?(?:은|는|이|가|을|를)?\s?)?길이(?:를|가|는)?\s?조절", 1), (r"스트랩", 1),
        (r"adjustable\s+(?:shoulder\s+)?straps?", 1), (r"\bstraps?\b", 1),
    ],
    "zipper_closure": [(r"지퍼\s?여밈", 1), (r"지퍼", 1), (r"집업", 1), (r"zip(?:per)?[- ]?(?:closure|fastening)", 1), (r"\bzip(?:per|ped|s)?\b", 1), (r"zip[- ]up", 1)],
    "breathable": [(r"통기성", 1), (r"통풍", 1), (r"바람이\s?잘\s?통", 1), (r"breathab(?:le|ility)", 1), (r"\bairy\b", 1)],
    # care instructions behave the same way ("건조기 사용 금지")
    "care_hand_wash": [(r"손\s?세탁", 1), (r"손\s?빨래", 1), (r"hand[- ]wash(?:ed|ing|able)?", 1)],
    "care_dry_clean": [(r"드라이\s?클리닝", 1), (r"드라이\s?세탁", 1), (r"dry[- ]clean(?:ed|ing|able)?", 1)],
    "care_tumble_dry": [(r"건조기", 1), (r"기계\s?건조", 1), (r"tumble[- ]dr(?:y|ied|ying|yer)", 1), (r"\bdryer\b", 1)],
    "care_bleach": [(r"표백제?", 1), (r"\bbleach(?:es|ing)?\b", 1)],
    "care_iron": [(r"다림질", 1), (r"다리미", 1), (r"\biron(?:ed|ing)?\b", 1)],
    "care_separate": [(r"단독\s?세탁", 1), (r"따로\s?세탁", 1), (r"wash(?:ed)?\s+separately", 1), (r"separately", 1)],
    "care_cold_water": [(r"찬물", 1), (r"냉수", 1), (r"cold\s+water", 1)],
}
# Features whose spec lines use these labels (render.py): "방수: 없음".
FEATURE_LABELS = {key: labels[0] for key, labels in FEATURES.items()}

# -------------------------------------------------------------- attribute values

# group -> canonical value -> aliases (regex). Product values are added at run time.
ATTRIBUTES: dict[str, dict[str, list[str]]] = {
    "color": {
        "black": ["블랙", "검정(?:색)?", r"검은\s?색?", r"\bblack\b"],
        "white": ["화이트", r"흰\s?색?", r"하얀\s?색?", "흰", r"\bwhite\b"],
        "ivory": ["아이보리", r"\bivory\b"],
        "cream": ["크림(?:색)?", r"\bcream\b"],
        "beige": ["베이지(?:색)?", r"\bbeige\b"],
        "camel": ["카멜", r"\bcamel\b"],
        "brown": ["브라운", "갈색", r"\bbrown\b"],
        "mocha": ["모카", r"\bmocha\b"],
        "khaki": ["카키(?:색)?", r"\bkhaki\b"],
        "olive": ["올리브", r"\bolive\b"],
        "green": ["그린", "초록(?:색)?", "녹색", r"\bgreen\b"],
        "mint": ["민트", r"\bmint\b"],
        "navy": ["네이비", "남색", r"\bnavy\b"],
        "blue": ["블루", r"파란\s?색?", "파랑", r"\bblue\b"],
        "sky_blue": [r"스카이\s?블루", "하늘색", r"sky[- ]?blue", r"light\s+blue"],
        "indigo": ["인디고", r"\bindigo\b"],
        "grey": ["그레이", "회색", r"\bgr[ae]y\b"],
        "charcoal": ["차콜", r"\bcharcoal\b"],
        "melange": ["멜란지", r"\bmelange\b"],
        "red": ["레드", r"빨간\s?색?", "빨강", r"\bred\b"],
        "burgundy": ["버건디", r"\bburgundy\b"],
        "wine": ["와인", r"\bwine\b"],
        "pink": ["핑크", "분홍(?:색)?", r"\bpink\b"],
        "lavender": ["라벤더", r"\blavender\b"],
        "purple": ["퍼플", "보라(?:색)?", r"\bpurple\b"],
        "yellow": ["옐로우?", r"노란\s?색?", "노랑", r"\byellow\b"],
        "mustard": ["머스타드", r"\bmustard\b"],
        "orange": ["오렌지", "주황(?:색)?", r"\borange\b"],
        "oatmeal": ["오트밀", r"\boatmeal\b"],
        "silver": [r"실버(?!\s?(?:등급|회원|\d))", "은색", r"\bsilver\b(?!\s+(?:members?|tier|status|grade|level|\d))"],
        "gold": [r"골드(?!\s?(?:등급|회원|\d))", "금색", r"\bgold\b(?!\s+(?:members?|tier|status|grade|level|\d))"],
        "light_wash": ["연청", r"light[- ]wash"],
        "mid_wash": ["중청", r"mid[- ]wash", r"medium[- ]wash"],
        "dark_wash": ["진청", r"dark[- ]wash"],
        "black_denim": ["흑청", r"black\s+denim"],
    },
    "material": {
        "cotton": ["면", "코튼", "순면", r"\bcotton\b"],
        "linen": ["린넨", "리넨", r"\blinen\b"],
        "wool": ["울", "양모", r"\bwool(?:en|len)?\b"],
        "merino_wool": [r"메리노\s?울", r"merino(?:\s+wool)?"],
        "lambswool": [r"램스\s?울", r"lambs?wool"],
        "cashmere": ["캐시미어", r"\bcashmere\b"],
        "polyester": ["폴리에스(?:터|테르)", "폴리(?!우레탄)", r"\bpolyester\b", r"\bpoly\b"],
        "nylon": ["나일론", r"\bnylon\b"],
        "rayon": ["레이온", r"\brayon\b"],
        "viscose": ["비스코스", r"\bviscose\b"],
        "lyocell": ["텐셀", "리오셀", r"\btencel\b", r"\blyocell\b"],
        "modal": ["모달", r"\bmodal\b"],
        "spandex": ["스판덱스", "폴리우레탄", "엘라스틴", r"\bspandex\b", r"\belastane\b", r"\bpolyurethane\b"],
        "acrylic": ["아크릴", r"\bacrylic\b"],
        "silk": ["실크", r"\bsilk\b"],
        "leather": [r"천연\s?가죽", "가죽", "레더", r"(?<!faux )(?<!vegan )(?<!synthetic )\bleather\b"],
        "cowhide": [r"소\s?가죽", r"카우\s?하이드", r"\bcowhide\b", r"cow\s+leather"],
        "lambskin": [r"양\s?가죽", r"램\s?스킨", r"\blambskin\b", r"lamb\s+leather", r"sheepskin"],
        "faux_leather": [r"인조\s?가죽", r"합성\s?피혁", r"에코\s?레더", r"비건\s?레더", r"faux\s+leather", r"vegan\s+leather", r"synthetic\s+leather"],
        "feather": ["깃털", r"\bfeathers?\b"],
        "suede": ["스웨이드", r"\bsuede\b"],
        "denim": ["데님", r"\bdenim\b"],
        "duck_down": [r"덕\s?다운", r"duck\s+down"],
        "goose_down": [r"구스\s?다운", r"goose\s+down"],
        "alpaca": ["알파카", r"\balpaca\b"],
        "mohair": ["모헤어", r"\bmohair\b"],
        "angora": ["앙고라", r"\bangora\b"],
        "acetate": ["아세테이트", r"\bacetate\b"],
        "corduroy": ["코듀로이", "골덴", r"\bcorduroy\b"],
        "fleece": ["플리스", "후리스", r"\bfleece\b(?![- ]lined)"],
        "tweed": ["트위드", r"\btweed\b"],
        "velvet": ["벨벳", r"\bvelvet\b"],
        "satin": ["새틴", r"\bsatin\b"],
        "chiffon": ["쉬폰", "시폰", r"\bchiffon\b"],
        "seersucker": ["시어서커", r"\bseersucker\b"],
        "jersey": ["저지", r"\bjersey\b"],
        "canvas": ["캔버스", r"\bcanvas\b"],
        "rubber": ["고무", r"\brubber\b"],
        "mesh": ["메쉬", "메시", r"\bmesh\b"],
    },
    "fit": {
        "oversized": [r"세미\s?오버\s?핏", r"오버\s?핏", r"오버\s?사이즈", r"루즈\s?핏", "박시", r"릴랙스드?\s?핏?",
                      r"over[- ]?sized?(?:\s+fit)?", r"overfit", r"relaxed(?:\s+fit)?", r"loose(?:[- ]fit(?:ting)?)?", r"\bboxy\b"],
        "regular": [r"레귤러\s?핏", "레귤러", r"정\s?핏", r"기본\s?핏", r"스탠다드\s?핏", r"regular(?:\s+fit)?", r"standard\s+fit", r"classic\s+fit"],
        "slim": [r"슬림\s?핏", "슬림", "스키니", r"머슬\s?핏", r"slim(?:[- ]fit)?", r"\bskinny\b", r"muscle\s+fit"],
        "wide": [r"세미\s?와이드\s?핏", r"와이드\s?핏", r"wide(?:[- ]leg|[- ]fit)"],
        "straight": [r"스트레이트\s?핏", "스트레이트", r"straight(?:[- ]leg|[- ]fit)"],
        "tapered": [r"테이퍼드\s?핏", "테이퍼드", r"\btapered\b"],
        "cropped": [r"크롭\s?핏", r"cropped\s+fit"],
        "one_size": [r"원\s?사이즈", r"프리\s?사이즈", r"one[- ]size", r"free[- ]size"],
        "true_to_size": [r"정\s?사이즈", r"true\s+to\s+size", r"fits?\s+true"],
        "a_line": [r"a\s?라인", r"a[- ]line"],
        "h_line": [r"h\s?라인", r"h[- ]line", r"pencil"],
        "bootcut": [r"부츠\s?컷", r"boot[- ]?cut"],
    },
    "season": {
        "spring": ["봄", r"\bspring\b"],
        "summer": ["여름", r"\bsummer\b"],
        "fall": ["가을", r"\bfall\b", r"\bautumn\b"],
        "winter": ["겨울", r"\bwinter\b"],
        "all_season": ["사계절", r"all[- ]season", r"year[- ]round", r"all\s+year"],
    },
}
# A more specific value implies its parent ("메리노울" is wool).
PARENT = {"merino_wool": "wool", "lambswool": "wool", "duck_down": "down", "goose_down": "down", "sky_blue": "blue",
          "cowhide": "leather", "lambskin": "leather"}
# Spec-line labels that make a group authoritative ("소재: 면 100%").
GROUP_LABELS = {"color": ("색상", "컬러"), "material": ("소재", "원단"), "fit": ("핏",), "season": ("시즌", "계절"), "brand": ("브랜드",)}

# --------------------------------------------------------------------- negation

# (form, tag prefix) of Kiwi morphemes that negate their clause.
KO_NEGATORS: set[tuple[str, str]] = {
    ("없", "VA"), ("없이", "MAG"), ("않", "VX"), ("안", "MAG"), ("못", "MAG"), ("못하", "VX"), ("아니", "VCN"),
    ("불가", "NNG"), ("불가능", "NNG"), ("금지", "NNG"), ("피하", "VV"), ("삼가", "VV"), ("어렵", "VA"),
    ("말", "VX"), ("덜", "MAG"), ("덜하", "VA"), ("품절", "NNG"), ("제외", "NNG"), ("불가하", "VA"), ("금하", "VV"),
    # Kiwi reads the spec value "없음" as one noun after some nouns ("비침: 없음", "안감: 없음")
    ("없음", "NN"),
}
# Nominalised predicates Kiwi may tag as proper nouns ("방수: 있음"): values, never names.
KO_NOT_NAMES = frozenset({"있음", "없음"})
# "밖에 ... 안" means "only": the negation does not negate.
KO_NEG_CANCEL = {("밖에", "JX")}
EN_NEGATORS = frozenset(
    "not no never without cannot can't cant won't isn't aren't doesn't don't didn't wasn't weren't "
    "hasn't haven't lacks lack lacking none nor avoid unavailable unable impossible prohibited forbidden "
    "excluded except sold-out".split()
)
# Clause breaks: Korean connective endings and English conjunctions that start a new assertion.
KO_CLAUSE_ENDINGS = {
    "고", "지만", "며", "으며", "는데", "ᆫ데", "은데", "으나", "나", "면서", "으면서", "거나", "ᆫ데요",
    "니", "으니", "니까", "으니까", "므로", "으므로", "어서", "아서", "라서", "이라서", "여서", "라", "이라",
}
EN_CLAUSE_WORDS = frozenset("but while whereas although though however and yet so because since which".split())
# Currency codes and unit symbols: part of an amount or a measure, never a name a claim invents.
UNIT_WORDS = frozenset("krw usd eur jpy cny gbp won cm mm kg ml km".split())

# --------------------------------------------------------------------- synonyms

# surface form (Kiwi morpheme or English stem) -> canonical Korean term
SYNONYMS: dict[str, str] = {
    # Korean paraphrases
    "반송": "반품", "리턴": "반품", "발송": "출고", "배송비": "배송비", "택배비": "배송비", "운송비": "배송비",
    "택배": "배송", "접수": "신청", "요청": "신청", "금액": "가격", "값": "가격", "정가": "가격", "판매가": "가격",
    "가격대": "가격", "세일": "할인", "할인가": "할인", "컬러": "색상", "색": "색상", "색깔": "색상", "빛깔": "색상",
    "원단": "소재", "재질": "소재", "섬유": "소재", "혼용": "혼방", "블렌드": "혼방", "치수": "사이즈", "크기": "사이즈",
    "기장": "총장", "빨래": "세탁", "세척": "세탁", "빨": "세탁", "포인트": "적립금", "마일리지": "적립금",
    "받": "수령", "수취": "수령", "도착": "수령", "일정": "기간", "기한": "기간", "이내": "이내", "내": "이내", "안": "이내",
    "돌리": "사용", "쓰": "사용", "이용": "사용", "가능": "가능", "되": "가능", "할수있": "가능", "불가능": "불가",
    "무상": "무료", "공짜": "무료", "유상": "유료", "문의": "문의", "상담": "문의", "고객센터": "고객센터",
    "교체": "교환", "바꾸": "교환", "취소하": "취소", "환급": "환불", "돌려받": "환불", "입금": "입금",
    "결제": "결제", "지불": "결제", "주문": "주문", "구입": "구매", "사": "구매", "시즌": "계절",
    "따뜻": "보온", "보온성": "보온", "시원": "시원", "넉넉": "여유", "여유롭": "여유",
    "어울리": "매치", "매치하": "매치", "코디": "매치", "스타일링": "매치", "입": "착용", "신": "착용",
    "단순변심": "변심", "변심": "변심", "파이널세일": "파이널", "주문제작": "제작",
    # English -> Korean
    "price": "가격", "cost": "가격", "priced": "가격", "costs": "가격", "sale": "할인", "discount": "할인",
    "discounted": "할인", "material": "소재", "fabric": "소재", "made": "소재", "colour": "색상", "color": "색상",
    "size": "사이즈", "return": "반품", "exchange": "교환", "refund": "환불", "ship": "출고", "shipping": "배송",
    "dispatch": "출고", "dispatched": "출고", "delivery": "배송", "deliver": "배송", "fee": "배송비", "charge": "배송비",
    "free": "무료", "paid": "유료", "wash": "세탁", "washing": "세탁", "laundry": "세탁", "care": "관리",
    "inquiry": "문의", "inquiries": "문의", "question": "문의", "answer": "답변", "reply": "답변", "respond": "답변",
    "customer": "고객", "service": "고객센터", "center": "고객센터", "order": "주문", "cancel": "취소",
    "cancellation": "취소", "payment": "결제", "pay": "결제", "purchase": "구매", "buy": "구매", "coupon": "쿠폰",
    "point": "적립금", "points": "적립금", "reward": "적립금", "credit": "적립금", "member": "회원", "membership": "등급",
    "tier": "등급", "grade": "등급", "review": "리뷰", "photo": "포토", "text": "텍스트", "stock": "재고",
    "sold": "품절", "soldout": "품절", "season": "계절", "spring": "봄", "summer": "여름",
    "fall": "가을", "autumn": "가을", "winter": "겨울", "warm": "보온", "warmth": "보온", "cool": "시원",
    "light": "가볍", "lightweight": "가볍", "heavy": "무겁", "thin": "얇", "thick": "두껍", "soft": "부드럽",
    "comfortable": "편하", "comfort": "편하", "length": "총장", "chest": "가슴", "shoulder": "어깨", "sleeve": "소매",
    "waist": "허리", "measurement": "실측", "measurements": "실측", "measured": "실측", "flat": "단면",
    "defect": "불량", "defective": "불량", "damaged": "불량", "wrong": "오배송", "international": "해외",
    "overseas": "해외", "abroad": "해외", "country": "국가", "countries": "국가", "customs": "관부가세", "duty": "관부가세",
    "duties": "관부가세", "brand": "브랜드", "shirt": "셔츠", "jacket": "재킷", "coat": "코트", "knit": "니트",
    "sweater": "니트", "cardigan": "카디건", "pants": "팬츠", "trousers": "팬츠", "slacks": "슬랙스", "jeans": "데님",
    "skirt": "스커트", "dress": "원피스", "shoe": "신발", "shoes": "신발", "sneaker": "스니커즈", "sneakers": "스니커즈",
    "bag": "가방", "hoodie": "후드티", "padding": "패딩", "puffer": "패딩", "inner": "이너", "layer": "레이어드",
    "layering": "레이어드", "outfit": "매치", "style": "매치", "pair": "매치", "match": "매치", "wear": "착용",
    "worn": "착용", "weekday": "평일", "weekend": "주말", "holiday": "공휴일", "holidays": "공휴일", "lunch": "점심",
    "business": "영업일", "installment": "할부", "installments": "할부", "card": "카드", "transfer": "입금",
    "deposit": "입금", "expire": "유효", "expiry": "유효", "valid": "유효", "issued": "발급", "signup": "가입",
    "sign": "가입", "join": "가입", "new": "신규", "first": "첫", "receipt": "수령", "receive": "수령",
    "received": "수령", "receiving": "수령", "inspection": "검수", "inspected": "검수", "processed": "처리",
    "process": "처리", "card company": "카드사", "cash": "현금", "store": "스토어", "mypage": "마이페이지",
    "page": "페이지", "window": "기간", "period": "기간", "within": "이내", "day": "일", "days": "일",
    "jeju": "제주", "island": "도서산간", "remote": "도서산간", "additional": "추가", "extra": "추가",
    "round": "왕복", "roundtrip": "왕복", "way": "편도", "customer's": "고객", "buyer": "고객",
}

# More English -> Korean commerce and fashion vocabulary (stems as english_stem() leaves them).
SYNONYMS.update({
    # shopping and policy
    "returning": "반품", "returned": "반품", "exchanging": "교환", "exchanged": "교환", "refunded": "환불",
    "shipped": "출고", "ships": "출고", "shipment": "배송", "deliveries": "배송", "delivered": "수령",
    "arrive": "도착", "arrives": "도착", "arrival": "도착", "courier": "택배", "parcel": "택배", "tracking": "조회",
    "cancelled": "취소", "canceled": "취소", "cancelling": "취소", "request": "신청", "requested": "신청",
    "apply": "신청", "applied": "적용", "submit": "접수", "report": "접수", "reported": "접수", "claim": "접수",
    "recommended": "권장", "recommend": "권장", "advised": "권장", "suggested": "권장", "required": "필수",
    "mandatory": "필수", "allowed": "가능", "possible": "가능", "permitted": "가능", "accepted": "가능",
    "earn": "적립", "earns": "적립", "earned": "적립", "accrue": "적립", "back": "적립", "cashback": "적립",
    "silver": "실버", "gold": "골드", "vip": "vip", "general": "일반", "basic": "일반", "level": "등급",
    "status": "등급", "rank": "등급", "upgrade": "갱신", "renewed": "갱신", "updated": "갱신", "reset": "갱신",
    "last": "최근", "recent": "최근", "past": "최근", "previous": "최근", "confirmed": "확정", "confirmation": "확정",
    "expire": "소멸", "expires": "소멸", "expired": "소멸", "valid": "유효", "validity": "유효", "usable": "사용",
    "use": "사용", "used": "사용", "spend": "사용", "redeem": "사용", "combine": "중복", "combined": "동시",
    "together": "동시", "stack": "중복", "stacked": "중복", "simultaneously": "동시", "once": "한번",
    "welcome": "신규", "newly": "신규", "registration": "가입", "register": "가입", "subscribe": "가입",
    "maximum": "최대", "max": "최대", "cap": "최대", "capped": "최대", "minimum": "최소", "least": "최소",
    "bank": "무통장입금", "wire": "무통장입금", "mobile": "휴대폰", "phone": "휴대폰", "carrier": "통신사",
    "limit": "한도", "monthly": "월", "lump": "일시불", "issuer": "카드사", "reflected": "반영", "appear": "반영",
    "statement": "내역", "history": "내역", "account": "계정", "address": "주소", "contact": "연락처",
    "agent": "상담원", "representative": "상담원", "consultation": "상담", "chat": "채팅", "hours": "운영",
    "open": "운영", "closed": "휴무", "office": "출근", "weekdays": "평일", "saturday": "주말", "sunday": "주말",
    "korea": "국내", "domestic": "국내", "area": "지역", "areas": "지역", "region": "지역", "regions": "지역",
    "mountainous": "도서산간", "duties": "관부가세", "tax": "관부가세", "taxes": "관부가세", "recipient": "수령인",
    "store's": "회사", "company": "회사", "seller": "회사", "inspect": "검수", "warehouse": "입고",
    "defect": "불량", "fault": "불량", "faulty": "불량", "broken": "불량", "torn": "불량", "mistake": "오배송",
    "hygiene": "위생", "underwear": "속옷", "socks": "양말", "sock": "양말", "swimwear": "수영복", "swimsuit": "수영복",
    "tag": "택", "tags": "택", "removed": "제거", "remove": "제거", "unworn": "미착용", "tried": "착용",
    "final": "파이널", "clearance": "파이널", "custom": "제작", "tailored": "제작", "production": "제작",
    "produced": "제작", "made-to-order": "제작", "handmade": "제작", "workshop": "공방",
    "measure": "측정", "measuring": "측정", "error": "오차", "tolerance": "오차", "circumference": "둘레",
    # product description
    "upper": "갑피", "midsole": "미드솔", "flap": "플랩", "sole": "밑창", "outsole": "밑창", "insole": "인솔", "lace": "레이스", "hood": "후드",
    "collar": "카라", "neckline": "넥", "neck": "넥", "hem": "밑단", "cuff": "소매", "sleeves": "소매",
    "pocket": "주머니", "button": "단추", "buttons": "단추", "belt": "벨트", "strap": "스트랩", "pad": "패드",
    "pads": "패드", "insert": "넣", "inserted": "넣", "membrane": "멤브레인", "seam": "봉제선", "seams": "봉제선",
    "sealed": "심실링", "taped": "심실링", "vent": "벤틸레이션", "ventilation": "벤틸레이션", "lining": "안감",
    "finish": "가공", "coating": "코팅", "treated": "가공", "dyed": "염색", "washed": "워싱", "print": "프린트",
    "printed": "프린트", "graphic": "그래픽", "stripe": "스트라이프", "striped": "스트라이프", "check": "체크",
    "plaid": "체크", "floral": "플라워", "knitted": "니트", "woven": "직조", "ribbed": "골지", "quilted": "퀼팅",
    "thickness": "두께", "weight": "무게", "heavier": "무겁", "lighter": "가볍", "warmer": "따뜻", "cooler": "시원",
    "breezy": "통풍", "sweat": "땀", "dries": "마르", "dry": "건조", "quick": "빠르", "quickly": "빠르",
    "shrink": "수축", "shrinks": "수축", "shrinkage": "수축", "pilling": "보풀", "pill": "보풀", "fade": "물빠짐",
    "fading": "물빠짐", "bleed": "물빠짐", "stain": "오염", "stains": "오염", "odor": "냄새", "odour": "냄새",
    "smell": "냄새", "mold": "곰팡이", "humid": "습", "humidity": "습도", "rain": "비", "rainy": "비",
    "puddle": "물웅덩이", "snow": "눈", "shade": "그늘", "sunlight": "직사광선", "fresh": "민물", "rinse": "헹구",
    "salt": "염분", "chlorine": "염소", "hang": "걸", "hanger": "옷걸이", "hangers": "옷걸이", "fold": "개",
    "folded": "개", "store": "보관", "stored": "보관", "storage": "보관", "iron": "다림질", "steam": "스팀",
    "detergent": "세제", "neutral": "중성", "mild": "중성", "cold": "찬물", "hot": "뜨거운", "lukewarm": "미지근",
    "delicate": "섬세", "gently": "가볍", "gentle": "섬세", "net": "세탁망", "bag": "가방",
    "fit": "핏", "fits": "핏", "sizing": "사이즈", "small": "작", "large": "크", "roomy": "넉넉", "relaxed": "여유",
    "snug": "타이트", "tight": "타이트", "short": "짧", "cropped": "크롭", "length": "기장", "waistband": "허리",
    "hip": "엉덩이", "thigh": "허벅지", "rise": "밑위", "inseam": "총장", "knee": "무릎", "ankle": "발목",
    "wrist": "손목", "shoulder": "어깨", "arm": "팔", "chest": "가슴", "size": "사이즈", "half": "반",
    "neat": "단정", "tidy": "단정", "formal": "격식", "casual": "캐주얼", "daily": "데일리", "everyday": "데일리",
    "comfortable": "편안", "comfy": "편안", "cozy": "포근", "soft": "부드럽", "smooth": "매끄럽", "itchy": "따갑",
    "scratchy": "까슬", "stiff": "단단", "durable": "튼튼", "sturdy": "튼튼", "elegant": "고급", "luxurious": "고급",
    "premium": "고급", "suit": "어울리", "suits": "어울리", "goes": "어울리", "match": "어울리", "pairs": "어울리",
    "wedding": "결혼식", "guest": "하객", "interview": "면접", "date": "데이트", "camping": "캠핑", "travel": "여행",
    "trip": "여행", "hiking": "산행", "trekking": "트레킹", "running": "러닝", "yoga": "요가", "gym": "운동",
    "beach": "해변", "pool": "수영장", "commute": "출퇴근", "work": "출근", "layer": "레이어드", "layered": "레이어드",
    "tone": "톤", "tones": "톤", "colorful": "색", "bright": "밝", "dark": "어둡", "pastel": "파스텔",
    "complementary": "보색", "accent": "포인트", "point": "포인트", "accessory": "액세서리", "accessories": "액세서리",
    "loafer": "로퍼", "loafers": "로퍼", "boot": "부츠", "boots": "부츠", "sandal": "샌들", "sandals": "샌들",
    "blazer": "블레이저", "cardigan": "카디건", "vest": "조끼", "hoodie": "후드티", "tee": "티셔츠", "t-shirt": "티셔츠",
    "blouse": "블라우스", "polo": "카라티", "trench": "트렌치코트", "windbreaker": "바람막이", "leggings": "레깅스",
    "shorts": "쇼츠", "muffler": "머플러", "scarf": "스카프", "beanie": "비니", "cap": "캡", "hat": "모자",
    "backpack": "백팩", "tote": "토트백", "wallet": "지갑", "sunglasses": "선글라스", "pajamas": "파자마",
    "bralette": "브라렛", "camisole": "캐미솔", "jogger": "조거", "slip": "슬립", "wire": "와이어", "wireless": "노와이어",
    "breathe": "통기성", "same": "당일", "restored": "복원", "restore": "복원", "cash": "현금", "money": "현금", "instead": "대신",
    "worn": "착용", "wearing": "착용", "attached": "부착", "label": "라벨", "photo": "사진", "picture": "사진",
    "pictures": "사진", "photos": "사진", "screenshot": "사진", "message": "문자", "text": "텍스트", "email": "메일",
    "app": "앱", "website": "홈페이지", "online": "온라인", "offline": "오프라인", "branch": "매장", "shop": "매장",
    "after": "후", "before": "전", "amount": "금액", "cover": "사용", "require": "기준",
    "requires": "기준", "requirement": "기준", "threshold": "기준", "criteria": "기준", "purchase": "구매", "inner": "이너", "innerwear": "이너웨어", "outer": "아우터", "outerwear": "아우터",
    "layering": "레이어드", "warm": "따뜻", "heat": "열기", "insulation": "보온", "padding": "패딩", "down": "다운",
})
# Korean paraphrases that Kiwi splits differently
SYNONYMS.update({"뒤": "후", "이후": "후", "다음": "후", "적립금": "적립금", "적립": "적립", "환급": "환불",
                 "발송하": "출고", "보내": "출고", "배달": "배송", "권하": "권장", "추천": "권장", "추천하": "권장",
                 "편하": "편안", "편안하": "편안", "단정하": "단정", "깔끔": "단정", "시원하": "시원"})

# English two-word terms whose head alone means something else: second word's term ->
# {first word's term: term of the pair} ("shipping cost" is 배송비, not 가격).
EN_COMPOUNDS: dict[str, dict[str, str]] = {"가격": {"배송": "배송비"}}

# Low-information words: kept but weighted down so fluff neither supports nor sinks a claim.
LIGHT_TERMS = frozenset(
    "하 되 있 없 않 수 것 이 그 저 제품 상품 아이템 옷 좋 추천 분 고객 님 경우 때 가능 필요 주 드리 보 오 가 받 알 "
    "확인 참고 정도 편 느낌 잘 더 매우 아주 정말 꼭 약간 살짝 조금 많이 특히 또한 그리고 함께 같이 다양 이번 해당 "
    "기본 모든 각 기준 통해 위해 대해 관련 진행 안내 이용 사용 제공 적용 부탁 바라 주시 문의 고객님 모아 스토어 "
    "item product products also has have had very just only about into all any each per please our us your their "
    "will can may might should must get gets got make makes one ones you it its this that these those "
    "지금 현재 바로 구매 판매 구입 준비 만나 권장 혼방 갖추 따로 still now currently come comes came available offered offer "
    "provide feature include use".split()
)

# Predicates with opposite meaning: a claim clause that matches an evidence clause except for
# one of these says the opposite ("물에 강해요" vs "물에 약하므로"). Canonical terms, both ways.
_ANTONYM_PAIRS = [
    ("강하", "약하"), ("가볍", "무겁"), ("두껍", "얇"), ("크", "작"), ("길", "짧"), ("넓", "좁"), ("빠르", "느리"),
    ("많", "적"), ("높", "낮"), ("밝", "어둡"), ("진하", "연하"), ("쉽", "어렵"), ("무료", "유료"), ("포함", "별도"),
    ("부드럽", "거칠"), ("넉넉", "타이트"), ("늘어나", "줄어들"), ("따뜻", "춥"), ("안쪽", "바깥쪽"),
    ("운영", "휴무"), ("영업", "휴무"), ("허용", "금지"), ("필수", "선택"), ("포함", "제외"), ("회사", "고객"),
    ("heavy", "가볍"), ("thick", "얇"), ("big", "작"), ("large", "작"), ("long", "짧"), ("wide", "좁"),
    ("fast", "느리"), ("tight", "넉넉"), ("loose", "타이트"), ("strong", "약하"), ("weak", "강하"),
]
ANTONYMS: dict[str, str] = {}
for _a, _b in _ANTONYM_PAIRS:
    ANTONYMS.setdefault(_a, _b)
    ANTONYMS.setdefault(_b, _a)

# Stock talk and its polarity; sizes are read from the product's "재고:" line.
STOCK_WORDS = re.compile(r"재고|품절|바로\s?구매|구매\s?(?:가능|할\s?수)|주문\s?(?:가능|할\s?수)|in\s+stock|out\s+of\s+stock|sold\s+out|restock", re.IGNORECASE)
STOCK_NEGATIVE = re.compile(r"품절|재고\s?(?:가|는|도)?\s?없|out\s+of\s+stock|sold\s+out|unavailable", re.IGNORECASE)
ALL_SIZES = re.compile(r"모든\s?사이즈|전\s?사이즈|사이즈\s?모두|모두|every\s+size|all\s+sizes", re.IGNORECASE)
STOCK_TERMS = frozenset("품절 재고 사이즈 구매 주문 every size all".split())
