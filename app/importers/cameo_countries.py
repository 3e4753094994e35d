"""Country codes in GDELT 2.0: CAMEO actor country codes and FIPS 10-4 location codes -> ISO 3166-1 alpha-3.

GDELT uses two different code systems in one row, and neither is quite ISO:

- ``Actor1CountryCode``/``Actor2CountryCode`` are CAMEO country codes. Most are ISO alpha-3, but CAMEO also
  codes regions and blocs (``EUR`` Europe, ``WST`` "the West", ``SEA`` Southeast Asia, ...), which must never
  be taken for a country, and a few places with codes of their own (``WSB`` West Bank, ``GZS`` Gaza Strip,
  ``BAG`` Baghdad) or older ISO codes (``ROM``, ``TMP``, ``ZAR``, ``YUG``). Note that ``CAF`` is the Central
  African Republic in CAMEO as in ISO; CAMEO's code for the Central Africa region is ``CFR``.
- ``ActionGeo_CountryCode`` (and the actors' ``*Geo_CountryCode``) are FIPS 10-4 codes, two letters that
  often collide with a *different* country's ISO alpha-2 code (FIPS ``GM`` is Germany, ISO ``GM`` is the
  Gambia; FIPS ``RS`` is Russia, ISO ``RS`` is Serbia). ``FIPS_TO_ISO3`` maps every FIPS 10-4 country code;
  dependencies without an ISO code of their own map to the ISO code that covers them (the US minor outlying
  islands to ``UMI``, the French Scattered Islands to ``ATF``), disputed islands and "Oceans" to nothing.

The FIPS table was built from the GeoNames country table (its ``fips`` column) plus the FIPS entities
GeoNames leaves out; ``KV`` (Kosovo) maps to the widely used user-assigned ``XKX``, and ``YI`` and ``NT`` to
the withdrawn ISO codes of Serbia and Montenegro (``SCG``) and the Netherlands Antilles (``ANT``).
"""

from __future__ import annotations

from typing import Final

# CAMEO region and bloc codes (CAMEO.country.txt), plus BAL used by some CAMEO dictionaries.
CAMEO_REGIONS: Final[dict[str, str]] = {
    "AFR": "Africa",
    "ASA": "Asia",
    "BAL": "Baltic states",
    "BLK": "Balkans",
    "CAS": "Central Asia",
    "CAU": "Caucasus",
    "CEU": "Central Europe",
    "CFR": "Central Africa",
    "CRB": "Caribbean",
    "EAF": "Eastern Africa",
    "EEU": "Eastern Europe",
    "EIN": "East Indies",
    "EUR": "Europe",
    "LAM": "Latin America",
    "MDT": "Mediterranean",
    "MEA": "Middle East",
    "NAF": "North Africa",
    "NMR": "North America",
    "PGS": "Persian Gulf",
    "SAF": "Southern Africa",
    "SAM": "South America",
    "SAS": "South Asia",
    "SCN": "Scandinavia",
    "SEA": "Southeast Asia",
    "WAF": "West Africa",
    "WST": "The West",
}

# CAMEO country codes that are not the ISO alpha-3 code of the same place.
CAMEO_NONSTANDARD: Final[dict[str, str]] = {
    "WSB": "PSE",  # West Bank
    "GZS": "PSE",  # Gaza Strip
    "BAG": "IRQ",  # Baghdad
    "ROM": "ROU",  # Romania (pre-2002 ISO code)
    "TMP": "TLS",  # East Timor (pre-2002 ISO code)
    "ZAR": "COD",  # Zaire
    "YUG": "SRB",  # Yugoslavia
    "SCG": "SRB",  # Serbia and Montenegro
    "KSV": "XKX",  # Kosovo
    "KOS": "XKX",  # Kosovo
}

# FIPS 10-4 code, ISO 3166-1 alpha-3 ("-": no country), name.
_FIPS_TABLE = """
AA  ABW  Aruba
AC  ATG  Antigua and Barbuda
AE  ARE  United Arab Emirates
AF  AFG  Afghanistan
AG  DZA  Algeria
AJ  AZE  Azerbaijan
AL  ALB  Albania
AM  ARM  Armenia
AN  AND  Andorra
AO  AGO  Angola
AQ  ASM  American Samoa
AR  ARG  Argentina
AS  AUS  Australia
AT  AUS  Ashmore and Cartier Islands
AU  AUT  Austria
AV  AIA  Anguilla
AX  GBR  Akrotiri
AY  ATA  Antarctica
BA  BHR  Bahrain
BB  BRB  Barbados
BC  BWA  Botswana
BD  BMU  Bermuda
BE  BEL  Belgium
BF  BHS  Bahamas
BG  BGD  Bangladesh
BH  BLZ  Belize
BK  BIH  Bosnia and Herzegovina
BL  BOL  Bolivia
BM  MMR  Myanmar
BN  BEN  Benin
BO  BLR  Belarus
BP  SLB  Solomon Islands
BQ  UMI  Navassa Island
BR  BRA  Brazil
BS  ATF  Bassas da India
BT  BTN  Bhutan
BU  BGR  Bulgaria
BV  BVT  Bouvet Island
BX  BRN  Brunei
BY  BDI  Burundi
CA  CAN  Canada
CB  KHM  Cambodia
CD  TCD  Chad
CE  LKA  Sri Lanka
CF  COG  Republic of the Congo
CG  COD  Democratic Republic of the Congo
CH  CHN  China
CI  CHL  Chile
CJ  CYM  Cayman Islands
CK  CCK  Cocos Islands
CM  CMR  Cameroon
CN  COM  Comoros
CO  COL  Colombia
CQ  MNP  Northern Mariana Islands
CR  AUS  Coral Sea Islands
CS  CRI  Costa Rica
CT  CAF  Central African Republic
CU  CUB  Cuba
CV  CPV  Cabo Verde
CW  COK  Cook Islands
CY  CYP  Cyprus
DA  DNK  Denmark
DJ  DJI  Djibouti
DO  DMA  Dominica
DQ  UMI  Jarvis Island
DR  DOM  Dominican Republic
DX  GBR  Dhekelia
EC  ECU  Ecuador
EG  EGY  Egypt
EI  IRL  Ireland
EK  GNQ  Equatorial Guinea
EN  EST  Estonia
ER  ERI  Eritrea
ES  SLV  El Salvador
ET  ETH  Ethiopia
EU  ATF  Europa Island
EZ  CZE  Czechia
FG  GUF  French Guiana
FI  FIN  Finland
FJ  FJI  Fiji
FK  FLK  Falkland Islands
FM  FSM  Micronesia
FO  FRO  Faroe Islands
FP  PYF  French Polynesia
FQ  UMI  Baker Island
FR  FRA  France
FS  ATF  French Southern Territories
GA  GMB  Gambia
GB  GAB  Gabon
GG  GEO  Georgia
GH  GHA  Ghana
GI  GIB  Gibraltar
GJ  GRD  Grenada
GK  GGY  Guernsey
GL  GRL  Greenland
GM  DEU  Germany
GO  ATF  Glorioso Islands
GP  GLP  Guadeloupe
GQ  GUM  Guam
GR  GRC  Greece
GT  GTM  Guatemala
GV  GIN  Guinea
GY  GUY  Guyana
GZ  PSE  Gaza Strip
HA  HTI  Haiti
HK  HKG  Hong Kong
HM  HMD  Heard Island and McDonald Islands
HO  HND  Honduras
HQ  UMI  Howland Island
HR  HRV  Croatia
HU  HUN  Hungary
IC  ISL  Iceland
ID  IDN  Indonesia
IM  IMN  Isle of Man
IN  IND  India
IO  IOT  British Indian Ocean Territory
IP  FRA  Clipperton Island
IR  IRN  Iran
IS  ISR  Israel
IT  ITA  Italy
IV  CIV  Ivory Coast
IZ  IRQ  Iraq
JA  JPN  Japan
JE  JEY  Jersey
JM  JAM  Jamaica
JN  SJM  Jan Mayen
JO  JOR  Jordan
JQ  UMI  Johnston Atoll
JU  ATF  Juan de Nova Island
KE  KEN  Kenya
KG  KGZ  Kyrgyzstan
KN  PRK  North Korea
KQ  UMI  Kingman Reef
KR  KIR  Kiribati
KS  KOR  South Korea
KT  CXR  Christmas Island
KU  KWT  Kuwait
KV  XKX  Kosovo
KZ  KAZ  Kazakhstan
LA  LAO  Laos
LE  LBN  Lebanon
LG  LVA  Latvia
LH  LTU  Lithuania
LI  LBR  Liberia
LO  SVK  Slovakia
LQ  UMI  Palmyra Atoll
LS  LIE  Liechtenstein
LT  LSO  Lesotho
LU  LUX  Luxembourg
LY  LBY  Libya
MA  MDG  Madagascar
MB  MTQ  Martinique
MC  MAC  Macao
MD  MDA  Moldova
MF  MYT  Mayotte
MG  MNG  Mongolia
MH  MSR  Montserrat
MI  MWI  Malawi
MJ  MNE  Montenegro
MK  MKD  North Macedonia
ML  MLI  Mali
MN  MCO  Monaco
MO  MAR  Morocco
MP  MUS  Mauritius
MQ  UMI  Midway Islands
MR  MRT  Mauritania
MT  MLT  Malta
MU  OMN  Oman
MV  MDV  Maldives
MX  MEX  Mexico
MY  MYS  Malaysia
MZ  MOZ  Mozambique
NC  NCL  New Caledonia
NE  NIU  Niue
NF  NFK  Norfolk Island
NG  NER  Niger
NH  VUT  Vanuatu
NI  NGA  Nigeria
NL  NLD  The Netherlands
NN  SXM  Sint Maarten
NO  NOR  Norway
NP  NPL  Nepal
NR  NRU  Nauru
NS  SUR  Suriname
NT  ANT  Netherlands Antilles
NU  NIC  Nicaragua
NZ  NZL  New Zealand
OD  SSD  South Sudan
OS  -  Oceans
PA  PRY  Paraguay
PC  PCN  Pitcairn
PE  PER  Peru
PF  -  Paracel Islands (disputed)
PG  -  Spratly Islands (disputed)
PK  PAK  Pakistan
PL  POL  Poland
PM  PAN  Panama
PO  PRT  Portugal
PP  PNG  Papua New Guinea
PS  PLW  Palau
PU  GNB  Guinea-Bissau
QA  QAT  Qatar
RB  SRB  Serbia (older GDELT code)
RE  REU  Reunion
RI  SRB  Serbia
RM  MHL  Marshall Islands
RN  MAF  Saint Martin
RO  ROU  Romania
RP  PHL  Philippines
RQ  PRI  Puerto Rico
RS  RUS  Russia
RW  RWA  Rwanda
SA  SAU  Saudi Arabia
SB  SPM  Saint Pierre and Miquelon
SC  KNA  Saint Kitts and Nevis
SE  SYC  Seychelles
SF  ZAF  South Africa
SG  SEN  Senegal
SH  SHN  Saint Helena
SI  SVN  Slovenia
SL  SLE  Sierra Leone
SM  SMR  San Marino
SN  SGP  Singapore
SO  SOM  Somalia
SP  ESP  Spain
ST  LCA  Saint Lucia
SU  SDN  Sudan
SV  SJM  Svalbard
SW  SWE  Sweden
SX  SGS  South Georgia and the South Sandwich Islands
SY  SYR  Syria
SZ  CHE  Switzerland
TB  BLM  Saint Barthelemy
TD  TTO  Trinidad and Tobago
TE  ATF  Tromelin Island
TH  THA  Thailand
TI  TJK  Tajikistan
TK  TCA  Turks and Caicos Islands
TL  TKL  Tokelau
TN  TON  Tonga
TO  TGO  Togo
TP  STP  Sao Tome and Principe
TS  TUN  Tunisia
TT  TLS  Timor-Leste
TU  TUR  Turkey
TV  TUV  Tuvalu
TW  TWN  Taiwan
TX  TKM  Turkmenistan
TZ  TZA  Tanzania
UC  CUW  Curacao
UG  UGA  Uganda
UK  GBR  United Kingdom
UP  UKR  Ukraine
US  USA  United States
UV  BFA  Burkina Faso
UY  URY  Uruguay
UZ  UZB  Uzbekistan
VC  VCT  Saint Vincent and the Grenadines
VE  VEN  Venezuela
VI  VGB  British Virgin Islands
VM  VNM  Vietnam
VQ  VIR  U.S. Virgin Islands
VT  VAT  Vatican
WA  NAM  Namibia
WE  PSE  West Bank
WF  WLF  Wallis and Futuna
WI  ESH  Western Sahara
WQ  UMI  Wake Island
WS  WSM  Samoa
WZ  SWZ  Eswatini
YI  SCG  Serbia and Montenegro
YM  YEM  Yemen
ZA  ZMB  Zambia
ZI  ZWE  Zimbabwe
"""


def _parse_fips(table: str) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for line in table.strip().splitlines():
        fips, iso3, _name = line.split(maxsplit=2)
        out[fips] = None if iso3 == "-" else iso3
    return out


FIPS_TO_ISO3: Final[dict[str, str | None]] = _parse_fips(_FIPS_TABLE)
FIPS_NAMES: Final[dict[str, str]] = {
    line.split(maxsplit=2)[0]: line.split(maxsplit=2)[2] for line in _FIPS_TABLE.strip().splitlines()
}


def fips_to_iso3(code: str) -> str | None:
    """ISO alpha-3 for a FIPS 10-4 country code; None when blank, unknown or not a country."""
    return FIPS_TO_ISO3.get(code.strip().upper()) if code else None


def is_known_fips(code: str) -> bool:
    return code.strip().upper() in FIPS_TO_ISO3


def cameo_region(code: str) -> str | None:
    """The region's name when a CAMEO country code denotes a region or bloc rather than a country."""
    return CAMEO_REGIONS.get(code.strip().upper()) if code else None


def cameo_to_iso3(code: str) -> str | None:
    """ISO alpha-3 for a CAMEO country code; None for blanks, regions and anything that is not 3 letters."""
    code = code.strip().upper() if code else ""
    if len(code) != 3 or not code.isalpha() or code in CAMEO_REGIONS:
        return None
    return CAMEO_NONSTANDARD.get(code, code)
