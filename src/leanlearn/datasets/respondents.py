"""Fictitious respondents of the synthetic export: names, e-mail domains, cities, IP addresses, comments, timestamps.

Every personal datum is invented from the seed (the screening and privacy steps need realistic
personal data to remove). Part of :mod:`leanlearn.datasets.simulate` (via :mod:`leanlearn.datasets.export`).
"""

from __future__ import annotations

import unicodedata
from datetime import datetime

import numpy as np

# ---- people and paradata -----------------------------------------------------------------------------
_NAMES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "IN": (("Rahul", "Priya", "Amit", "Sunita", "Vikram", "Anjali", "Rajesh", "Kavita", "Suresh", "Deepa"),
           ("Sharma", "Patel", "Iyer", "Reddy", "Nair", "Gupta", "Singh", "Kulkarni", "Mehta", "Rao")),
    "CN": (("Wei", "Jing", "Lei", "Fang", "Hao", "Min", "Jun", "Yan", "Tao", "Xiaoling"),
           ("Wang", "Zhang", "Liu", "Chen", "Yang", "Zhao", "Huang", "Zhou", "Wu", "Xu")),
    "BR": (("João", "Ana", "Lucas", "Mariana", "Pedro", "Juliana", "Rafael", "Camila", "Carlos", "Fernanda"),
           ("Silva", "Santos", "Oliveira", "Souza", "Pereira", "Costa", "Rodrigues", "Almeida", "Ferreira", "Lima")),
    "MX": (("José", "María", "Luis", "Guadalupe", "Jorge", "Alejandra", "Miguel", "Verónica", "Ricardo", "Sofía"),
           ("Hernández", "García", "Martínez", "López", "González", "Pérez", "Ramírez", "Flores", "Torres", "Morales")),
    "ID": (("Budi", "Siti", "Agus", "Dewi", "Eko", "Rina", "Hendra", "Wulan", "Andi", "Putri"),
           ("Santoso", "Wijaya", "Saputra", "Hidayat", "Kusuma", "Pratama", "Setiawan", "Nugroho", "Halim", "Gunawan")),
    "TH": (("Somchai", "Suda", "Anan", "Malee", "Kittisak", "Pranee", "Niran", "Wanida", "Chaiwat", "Ratana"),
           ("Srisuk", "Wongsa", "Chaiyaporn", "Thongdee", "Saetang", "Kaewmanee", "Boonmee", "Phromma",
            "Rattanakorn", "Sukjai")),
    "MY": (("Ahmad", "Nurul", "Wei Ming", "Siti", "Rajesh", "Mei Ling", "Hafiz", "Aisyah", "Kumaran", "Farah"),
           ("Abdullah", "Ibrahim", "Lim", "Tan", "Wong", "Ismail", "Rahman", "Subramaniam", "Lee", "Yusof")),
    "VN": (("Minh", "Lan", "Hung", "Huong", "Tuan", "Mai", "Duc", "Thao", "Quang", "Linh"),
           ("Nguyen", "Tran", "Le", "Pham", "Hoang", "Phan", "Vu", "Dang", "Bui", "Do")),
    "TR": (("Mehmet", "Ayşe", "Mustafa", "Fatma", "Ahmet", "Elif", "Emre", "Zeynep", "Murat", "Esra"),
           ("Yılmaz", "Kaya", "Demir", "Şahin", "Çelik", "Yıldız", "Aydın", "Öztürk", "Arslan", "Doğan")),
    "PL": (("Piotr", "Anna", "Krzysztof", "Katarzyna", "Tomasz", "Agnieszka", "Paweł", "Magdalena", "Marcin", "Joanna"),
           ("Nowak", "Wójcik", "Woźniak", "Mazur", "Krawczyk", "Kaczmarek", "Zając", "Król", "Wieczorek", "Pawlak")),
    "ZA": (("Thabo", "Nomsa", "Sipho", "Lerato", "Johan", "Annelie", "Pieter", "Zanele", "Sibusiso", "Michelle"),
           ("Nkosi", "Dlamini", "Botha", "van der Merwe", "Mokoena", "Naidoo", "Khumalo", "Pretorius", "Molefe",
            "Smith")),
    "PH": (("Jose", "Maria", "Mark", "Kristine", "John Paul", "Rowena", "Ramon", "Jocelyn", "Carlo", "Liza"),
           ("Santos", "Reyes", "Cruz", "Bautista", "Garcia", "Mendoza", "Villanueva", "Ramos", "Aquino", "Dela Cruz")),
}  # fmt: skip
# an industrial city per country and two more: (latitude, longitude) of the city centre
_CITIES: dict[str, tuple[tuple[float, float], ...]] = {
    "IN": ((19.0760, 72.8777), (18.5204, 73.8567), (13.0827, 80.2707)),
    "CN": ((31.2304, 121.4737), (22.5431, 114.0579), (31.2989, 120.5853)),
    "BR": ((-23.5505, -46.6333), (-22.9099, -47.0626), (-25.4284, -49.2733)),
    "MX": ((25.6866, -100.3161), (20.5888, -100.3899), (20.6597, -103.3496)),
    "ID": ((-6.2088, 106.8456), (-7.2575, 112.7521), (-6.2383, 106.9756)),
    "TH": ((13.7563, 100.5018), (13.3611, 100.9847), (12.6814, 101.2816)),
    "MY": ((3.1390, 101.6869), (5.4141, 100.3288), (1.4927, 103.7414)),
    "VN": ((10.8231, 106.6297), (21.0278, 105.8342), (20.8449, 106.6881)),
    "TR": ((41.0082, 28.9784), (40.1885, 29.0610), (40.7654, 29.9408)),
    "PL": ((52.2297, 21.0122), (51.1079, 17.0385), (52.4064, 16.9252)),
    "ZA": ((-26.2041, 28.0473), (-29.8587, 31.0218), (-33.9608, 25.6022)),
    "PH": ((14.5995, 120.9842), (10.3157, 123.8854), (14.2117, 121.1653)),
}
# first octets of the public IPv4 blocks used for each country's fake addresses
_IP_FIRST_OCTET: dict[str, tuple[int, ...]] = {
    "IN": (49, 103, 117, 182), "CN": (36, 58, 113, 180), "BR": (177, 179, 186, 189),
    "MX": (148, 187, 189, 201), "ID": (36, 103, 114, 180), "TH": (49, 110, 171, 184),
    "MY": (60, 115, 175, 202), "VN": (14, 27, 113, 171), "TR": (78, 88, 176, 185),
    "PL": (31, 46, 83, 89), "ZA": (41, 102, 105, 196), "PH": (49, 112, 120, 175),
}  # fmt: skip
_DOMAIN_HEADS = (
    "apex", "sunrise", "delta", "orient", "nova", "vertex", "summit", "unity", "pioneer", "crescent",
    "harbor", "silverline", "bluestar", "evergreen", "golden", "pacific", "atlas", "meridian", "zenith",
    "horizon", "lotus", "phoenix", "granite", "redwood", "northstar", "keystone", "triton", "sterling",
    "everest", "coral",
)  # fmt: skip
_DOMAIN_TAILS = (
    "mfg", "industries", "precision", "components", "metals", "plastics", "foods", "auto", "electro",
    "textiles", "polymers", "engineering", "castings", "machinery", "pharma", "packaging",
)  # fmt: skip
_COMMENTS_PLAIN = (
    "Our lean programme was restarted after the pandemic.",
    "We are piloting IoT sensors on two lines only.",
    "Some questions are hard to answer for a multi-plant group.",
    "Interesting survey, thank you.",
    "Performance comparisons are my best estimate.",
    "Digital tools are mostly run at corporate level, not in the plant.",
    "Please share the aggregated results.",
    "Kaizen events are held every quarter.",
)
_COMMENTS_NAMED = (
    "Please send the summary report to {name}, who leads our CI office.",
    "{name} from our quality team helped me with the questions on learning.",
    "Happy to join a follow-up interview; you can also contact {name}.",
    "Thanks, {name}",
    "I filled this in together with {name} (plant controller).",
)
_ROLE_P = (0.20, 0.50, 0.25, 0.05)  # CEO, operations/plant manager, quality/CI manager, other
_KNOW_CLEAN_P = {4: 0.07, 5: 0.25, 6: 0.40, 7: 0.28}
_FOLD = str.maketrans({"ı": "i", "ł": "l", "Ł": "L", "ø": "o", "đ": "d"})


def _ascii(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.translate(_FOLD))
    return "".join(ch for ch in text if not unicodedata.combining(ch)).lower().replace(" ", "")


def _fmt_time(t: datetime) -> str:
    return t.strftime("%Y-%m-%d %H:%M:%S")


def _response_ids(n: int, rng: np.random.Generator) -> list[str]:
    alphabet = np.array(list("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"))
    ids: list[str] = []
    seen: set[str] = set()
    while len(ids) < n:
        rid = "R_" + "".join(rng.choice(alphabet, size=15))
        if rid not in seen:
            seen.add(rid)
            ids.append(rid)
    return ids


def _firm_domains(n: int, rng: np.random.Generator) -> list[str]:
    """Distinct made-up company domains under the reserved .example top-level domain."""
    combos = [f"{h}-{t}" for h in _DOMAIN_HEADS for t in _DOMAIN_TAILS]
    order = rng.permutation(len(combos))
    out = [combos[i] for i in order[: min(n, len(combos))]]
    seen = set(out)
    while len(out) < n:  # only for designs larger than the word lists
        dom = f"{combos[rng.integers(len(combos))]}{int(rng.integers(2, 1000))}"
        if dom not in seen:
            seen.add(dom)
            out.append(dom)
    return [d + ".example" for d in out]


def _person(iso: str, domain: str, rng: np.random.Generator) -> dict:
    firsts, lasts = _NAMES[iso]
    first, last = firsts[rng.integers(len(firsts))], lasts[rng.integers(len(lasts))]
    octets = _IP_FIRST_OCTET[iso]
    ip = f"{octets[rng.integers(len(octets))]}.{rng.integers(0, 256)}.{rng.integers(0, 256)}.{rng.integers(1, 255)}"
    lat, lon = _CITIES[iso][rng.integers(len(_CITIES[iso]))]
    lat += rng.uniform(-0.06, 0.06)
    lon += rng.uniform(-0.06, 0.06)
    return {
        "RecipientFirstName": first,
        "RecipientLastName": last,
        "RecipientEmail": f"{_ascii(first)}.{_ascii(last)}@{domain}",
        "IPAddress": ip,
        "LocationLatitude": f"{lat:.4f}",
        "LocationLongitude": f"{lon:.4f}",
    }


def _comment(iso: str, rng: np.random.Generator) -> str:
    u = rng.random()
    if u >= 0.22:
        return ""
    if u < 0.09:
        firsts, lasts = _NAMES[iso]
        name = f"{firsts[rng.integers(len(firsts))]} {lasts[rng.integers(len(lasts))]}"
        return _COMMENTS_NAMED[rng.integers(len(_COMMENTS_NAMED))].format(name=name)
    return _COMMENTS_PLAIN[rng.integers(len(_COMMENTS_PLAIN))]
