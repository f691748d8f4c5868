"""Derive profanity.yaml from korean-bad-words (MIT, github.com/doublems/korean-bad-words @96d6ce4).

Run from the project root:
    .venv/bin/python knowledge/banned_words/curate_profanity.py [path/to/korean-bad-words.md]

The upstream list (3,577 lines) mixes swear words with adult-site names, ordinary
anatomy and clothing words (팬티, 종아리, 밑창), verb forms that are everyday
Korean (빨아도 = "may I wash it", 보지 = "without looking") and very short or
numeric entries (108, 18년, SM). This script keeps insults, swearing and vulgar
slang and drops the rest by the explicit rules below, so the derivation is
reviewable and repeatable. Entries are stored folded (see service/guards/normalize.py):
jamo spellings such as ㄱㅐㅅㅐㄲㅣ collapse onto 개새끼.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from service.guards.normalize import fold_text, is_hangul  # noqa: E402

SOURCE = Path("/work/shared/data/korean-bad-words/korean-bad-words.md")
OUT = Path(__file__).with_name("profanity.yaml")

# Single characters are kept only when they cannot be part of an ordinary word.
KEEP_SHORT = {"좆"}

# Latin entries: only romanised swearing; the rest are site names or plain
# English words (INFO, MASTER, ROOT, THEME, PLAZA, LUX, JCB, SWAP ...).
KEEP_LATIN = {
    "fuck", "bitch", "asshole", "sibal", "ssibal", "cibal", "ccibal", "sipal", "ssipal",
    "cipal", "ccipal", "sival", "ssival", "cival", "ccival", "jiral", "c발", "c팔",
    "ac발", "ce발", "dog새끼", "2c팔", "jot", "zot",
}

# Families of adult-content / spam-site entries: not swearing, and several
# collide with clothing copy (섹시한 원피스, 성인 남성 기준, 노브라).
DROP_IF_CONTAINS = (
    "성인", "에로", "누드", "섹시", "야한", "무료", "몰카", "몰래", "러브", "일본", "포르노",
    "뽀르노", "콘돔", "자위", "페티", "패티", "팬티", "펜티", "스트립", "오르가", "플레이",
    "정력", "섹스", "세엑", "쎄엑", "망가", "야동", "야설", "야사", "야캠", "동영상", "사진",
    "만화", "영화", "게임", "클럽", "닷컴", "코리아", "사이트", "방송", "채팅", "화상",
    "알바", "도우미", "브라", "노팬", "노출", "벌려", "벌리", "빨아", "빨고", "빨구", "빨기",
    "빨자", "빨어", "빨게", "핥", "핧", "만져", "만지", "박고", "박아", "박을", "따먹", "따묵",
    "싸게", "싸고", "싸줄", "쌀께", "싸죠", "적셔", "채워", "주께", "줄래", "해줄", "시퍼",
    "시포", "싶", "흥분", "자세", "경험", "사정", "체위", "조건만남", "만남", "원조", "변태",
    "스와", "호스트", "호스티", "호테스", "룸살", "룸싸", "룸쌀", "룸사", "단란", "전화방",
    "출장", "대포", "청부", "살인", "위조", "생성기", "비밀번호", "성교", "성관", "성폭",
    "성추", "성행", "성욕", "성감", "성기", "성충", "성체", "성경", "성숙", "성게", "성고",
    "성과", "성보", "성일", "성클", "성테",
)

# Ordinary Korean words, clothing and body words, mild slang and entries that
# collide with commerce text. Each was read and judged one by one.
DROP = set("""
카드 폰으로 폰번호 호로 18년 108 십팔 이년 그년 저년 저놈 저뇬 요년 년아 년놈 강간 겁탈 걸레 걸래 구녕 나체 노콘 농아 누두 덥침 덮침 덥치기 덮치기 돌흔 동침
디저 디져 디질 뒤질 뒤진다 딩구 똥개 똥고 똥꼬 똥물 레즈 매춘 멍텅 메롱 몸캠 몸켐 미쳤 미첫 미친 미춘 미츤 미튼 밑창 밤일 배째 벌기 변견 병자 보지 보짓 보즤
보찌 보짖 뽀지 불륜 빙구 빙아 빙순 빠라 빠러 빤스 빤쮸 빤쮸리 빨통 뻑가 삽입 색기 세끼 쇄기 쇼킹 쉐리 쉐이 쉐이빙 스팽 스팽킹 스패킹 시바 시방 씨방 쌤통 쎄끈
쎄끈한 쓰레기 씨레기 씨뤠기 알몸 애무 애액 얌마 양아 어벙 영계 오랄 오럴 왕따 월경 유방 유두 유흥 음경 음란 임마 자궁 자지 잦털 정액 젖 젖가슴 젖꼭지 젖통 젖물
조루 졸라게 종나 짜지 짱나 짱나네 째려 쭈욱 쭈쭈 찌찌 카우치 퇴폐 페팅 포경 폰팅 할타 할터 항문 허접 허쩝 호빠 혼음 혼탕 화류 후레 후릴 후리자 가랑이 엉덩이
종아리 대가리 되가리 주둥이 입주둥이 주둥아리 조둥아리 아가리 아구지 아구통 쪼가리 조가비 조교사 조지냐 조진다 조질래 주거라 집어쳐 처녀막 천재님 최음제 치마속 크림걸
트렌스 패니스 페니스 페로몬 펩시맨 하두리 헤로인 히로뽕 후까시 흥분제 수퍼맨 스쿨걸 스킨쉽 싸이커 쌈치기 앵벌이 여자몸 옷버그 왕가스 원초적 일진회 잘빨아 전조건 종아리
채워줘 첫경험 카섹스 코섹스 브라자 브라쟈 브레지어 비실명 뽀뽀뽀 삼룡이 사창가 쇼걸클럽 러시아걸 코리안걸스 매드피아 머니헌터 머니올려요 노노무라 살인현장 공짜버그
공짜캐쉬 공짜캐시 버그프로그램 개가 개아이 게같은 기형아 꺼벙이 나쁘은 나뿌운 나뿌은 나뿐 나쁜 나아뿐 나아쁜 나아쁀 네즈 대출 대추ㄹ 던 답6 디진 딸중 마앙가 망나니
무료 밟아버 밟아부 밟아브 번개남 벙개남 벙어리 변강쇠 변강쐬 부킹맨 빠도리 빠돌이 빠라줘 빠르너 살인 상노무 세게빨아 수타킹 신마담 실비아 싸이커 알바비 애로물 야께임
야시시 야시꾸리 어리버리 오마담 오성인 와레즈 요씨댕 우랄질 이녀나 저주글 전나게 전나구려 조가틍 죽고싶지않다면 즐길녀 즐길여 질질싸 짱나 탱구리 킬링티비 트렘플링
하드코어 화끈남 화끈녀 화끈물개 훔쳐보기 갈켜줄녀 갈켜줄여 같이자자 계약동거 계약애인 교환부부 그거하고파 그거할년 그거할남 그거할녀 그거할사람 그거할여 깨디얼려 깨디올려
깨띠얼려 깨띠올려 깨쉬얼려 깨쉬올려 깨시얼려 나너먹을께 나먹어줘 나를싸게 넣고싸고 네버섹스 노란국물 노랑국물 도움주는사람 돈버는 돈선불 뒤로너어줘 딱지떼자 리얼에로
립서비스 마이세이담당 마이세이운영 만지면커진다 몸뚱이줄께 몸안에사정 무삭제원판 무전망가 미쎄스터 밖에다쌀께 배위에싸죠 버얼려서너어 벌렁거려 벌릴여자 병원놀이 붐붐고수
빨간마후라 뺘아뻐그리 색파트너 섹파트너 센스디스 심야tv 쌩포르노 아퍼살살해 안에사정 알몸공개 애마부인 야근병동 얀동영상 엑스모텔 엑스터시 여자먹고 오빠아파 오빠아퍼
왕소세지 원틀릭페이 유호필름 육구자세 음담패설 음마성전 음박학염 이거본사람은 이걸본사람은 입사후장 입안사정 재팬마나 정사씬모음 정사채널 즐길성인 채널레드tv 체위동영상
커닐링구스 쿤닐링구스 크리토리스 클리토리스 타부코리아 투앤투동거클럽 특수콘돔 패션앤섹스 팰라치오 펠라티오 프리섹스 피임기구 피임용품 한번꽂자 한번주께 한번줄래 핫도그tv
향기콘돔 헬로우콘돔 호모섹기 호모쎄끼 후장입사 흥분시켜 흥분할녀 x등급 xx할 x섹스 누드쇼 누드집 노출증 노팬티 노팬츠 도그플 도란년 돈버는 돔알지 돔만남 돔줘요 돌림빵
딸치는 따먹기 떡치기 뜨건밤 룸섹스 리얼섹 망가짱 몸파는 몸파라 물확뺄 미씨촌 박을께 발바버 발바부 발바브 백보디 버지물 버짓물 본디지 부운영 부카케 비됴방 빽보디 빽보비
삐리넷 섹무비 섹소리 섹티쉬 섹티즌 섹하고 섹하구 섹하자 섹하장 섹한번 쉣더뻑 스너프 쌩몰카 쌩아다 쌩보지쑈 애로영화 야껨 야께임 야녀 야덩 야자료 야한거 야한걸 야한것
얀예기 엄마젓 에미젓 여자보지 오까마 요씨댕 일본동영상 자위남 자위녀 자위씬 자위중 장가 전화방 젖고픈 콘필 쿨에로 크림걸 페미돔 페티걸 헨타이 핸타이 헴타이 후다년 후장
딜도 색골 색마 색광 색남 색녀 색수 색스 색쓰 색쑤 섹걸 섹골 섹남 섹녀 섹마 섹수 섹쉬 섹슈 섹쓰 섹쑤 섹할 섹해 섹히 섹뜨 섹s 쎄엑 세엑 쇅수 쇅스 쇅쑤 쇅쓰 쉑수
쉑스 쉑쑤 쉑쓰 쐑수 쐑스 쐑쑤 쐑쓰 쒝수 쒝스 쒝쑤 쒝쓰 카섹 컴색 컴샷 컴섹 컴쎅 컴s 컴x 큼섹 펀색 펀섹 번색 번섹 번쌕 번쎅 벙섹 변섹 폰떽 폰색 폰섹 폰쉑 폰쌕
폰쎅 폰x 카x 새x x동 x물 x위 x지 x털 변t 보g 보z ㅃr 쎽스 세액스 세에쓰 세엑스 쎄엑스 섹보지 빽자지 섹s 멜돔 팸돔 팸섭 펨돔 펨섭 펜섭 펜썹 맬섭
밑구녕빨기 보지구녕 보지구멍 쌩보지 보지걸 보지당 보지벌 보짖물 보오지 보지나라 보지보지 숙모보지 만화보지 자아지 짬지 조개 가스미 가숨 가아슴 갸숨 갸슴 광뇨늬 광뇨니
고추짱 고픈녀 고픈여 과부촌 공육공 계약앤 굴래머 굴레머 기엉아 꼬라바 꼴리는 꼴리다 꼴려 끄지라 누드 딸따리 딸따뤼 딸치 떡걸 떡촌 빠굴 빠걸 빠굴이 빠꾸리 사까치
사카시 사카치 삿깟시 창남 창뇨 창여 윤간 윤락 육봉 애년 애무 애액 오랄 레아뒤 로리타 롤리타 애자매 야시걸 야시녀 야시룸 야시캠 야애니 야오위 야요이 스쿨걸 쇼우망가
엽기에로 서양이쁜이 서양뽀르노 성게시판 갸숨 바보 ㄷ디발 ㅂ바 ㅂ바구리 ㅅ시벨년 ㅅ시부랄 ㅅ시불얼 ㅆ1 ㅆ엘 ㄹ1 ㅂㄱ술 ㅈㄱ ㅈㄱㅈㄱ ㅉㅈ 10쎈치 10쎝치 10알
jot zot 개색 개쉽 개족 개쇄 개샤 개섹 개섺 게놈 게섹 게스키 게젓 그룹섹 근친상간 글래머샵 남성단련용품 마스터베이션 바이브레이터 옷벗기기 알몸쇼 올가즘 섹도우즈
세에엑스 포온섹 포르나 포르너 포르느 포르로 포로노 포노 퍼르노 뻐르나 뻐르너 뻐르노 뽀로노 뽀르나 뽀르너 뽈로노 애널입4 야똥 야섹 야쉬쉬 야시랭크 에니탑 플래이보이
성겨육 콘끼그 풋잡 홀닥 까대 까발려 까발리 꺼져 딥콜 따무라 바구리 버여 병순 병삼 병탁 비용신 빠구 빠순 빨라줘 사까 싸달 싹수 쌔리 쌩쑈 쓰댕 쓰뎅 쓰델 쓰봉 씨브
씨양념 시빌 십세 아구창 에미 연병 옹녀 졸라맨 좀만아 죽일꺼 즉발 지달 젖도 짜져 쪼갈 쪼까 찌거 초칠 추녀 큰놈 큰년 평신 하자 허벌 점물 메둥 버케 메친
""".split())

# Added by hand: common abbreviations and swearing the upstream list lacks.
ADDED = [
    "ㅅㅂ", "ㅆㅂ", "ㅂㅅ", "ㅄ", "ㅈㄹ", "ㅈㄴ", "ㅆㅂㄹㅁ", "닥쳐", "닥치라", "개새끼", "씨발", "시발",
    "존나", "존나게", "졸라", "좆같은", "좆같네", "병신", "븅신", "빙신", "미친놈", "미친년", "미친새끼",
    "씹새끼", "개씨발", "느그애비", "니애미", "fucking", "motherfucker", "shit", "bullshit",
    "fuck", "bitch", "asshole", "wtf", "stfu", "cunt", "bastard",
]


def curate(lines: list[str]) -> list[str]:
    kept: dict[str, None] = {}
    for raw in lines:
        # Upstream spaced-jamo entries ("ㄱ ㅐ ㅅ ㅐ ㄲ ㅣ") are one word: join before folding.
        term = fold_text("".join(raw.split())).rstrip("?")
        if not term or term in DROP:
            continue
        if len(term) < 2 and term not in KEEP_SHORT:
            continue
        if any("\u314f" <= c <= "\u3163" for c in term):
            continue  # a vowel jamo left over after composition: a broken fragment
        if any(not (is_hangul(c) or c.isascii()) for c in term):
            continue  # other scripts: 晶, 夜덩, はいた ...
        if any(c.isascii() and c.isalpha() for c in term) and term not in KEEP_LATIN:
            continue
        if any(stem in term for stem in DROP_IF_CONTAINS):
            continue
        if term.isdigit():
            continue
        kept[term] = None
    for raw in ADDED:  # hand-picked: no filtering
        kept[fold_text(raw)] = None
    return sorted(kept)


HEADER = """\
# Profanity: insults, swearing and vulgar slang.
# Derived from korean-bad-words by Doublem.org (MIT licence),
# https://github.com/doublems/korean-bad-words @96d6ce4, curated by
# knowledge/banned_words/curate_profanity.py (generated file: edit the script, not this list).
# Entries are stored folded (lower case, jamo composed); the matcher folds text the same way.
"""


def main() -> None:
    import yaml

    source = Path(sys.argv[1]) if len(sys.argv) > 1 else SOURCE
    lines = [ln.strip() for ln in source.read_text(encoding="utf-8").splitlines() if ln.strip()]
    terms = curate(lines)
    doc = {
        "category": "profanity",
        "severity": "high",
        "action": "block",
        # Per-term options: whole = the term must not continue into more Hangul
        # (졸라 "very" vs 졸라서 "begged").
        "terms": [{"term": "졸라", "whole": True} if t == "졸라" else t for t in terms],
        "allow": [
            "시발점", "시발역", "시발택시", "새끼손가락", "새끼발가락", "새끼 손가락", "새끼 발가락",
            "새끼고양이", "새끼 고양이", "새끼강아지", "새끼 강아지", "새끼줄", "등신대", "#등신",
            "#개년", "애비뉴", "쓰바키", "쓰바사", "#광년",
        ] + [t + "지" for t in terms if t.endswith("까")],  # X까지: the particle 까지 (저까지 = "even me")
    }
    body = yaml.safe_dump(doc, allow_unicode=True, sort_keys=False, width=100)
    OUT.write_text(HEADER + body, encoding="utf-8")
    print(f"{len(lines)} source lines -> {len(terms)} terms -> {OUT}")


if __name__ == "__main__":
    main()
