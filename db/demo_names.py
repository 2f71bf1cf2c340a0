"""Names for the demo data: US insurance agencies, people, streets.

A few on purpose carry ``&``, apostrophes and accents, so every page, export
and PDF is exercised with the names real clients have.
"""

AGENCY_NAMES = (
    "Acme Insurance Group", "Brightpath Benefits", "Coastal Family Insurance", "Delta Health Advisors",
    "O'Brien & Sons Insurance", "Peña Family Insurance Agency", "Harbor & Main Insurance", "Lone Star Coverage Partners",
    "Great Lakes Benefit Advisors", "Müller Risk & Benefits", "Summit Ridge Insurance", "Magnolia State Agency",
    "Keystone Health Partners", "Blue Heron Insurance Services", "D'Angelo Insurance Brokers", "Cedar Valley Insurance",
    "Pioneer Trail Benefits", "Redwood Coast Insurance", "São Miguel Insurance Agency", "Riverbend Senior Solutions",
    "Liberty Square Insurance", "Prairie Wind Agency", "Smith & Whitaker Insurance", "Evergreen Medicare Advisors",
    "Bayou Benefits Group", "Granite State Coverage", "Crescent City Insurance", "Desert Sun Health Plans",
    "Old Dominion Insurance Co.", "Northstar Family Benefits", "Chesapeake & Potomac Agency", "Sunbelt Senior Insurance",
    "Appalachian Trail Insurance", "Golden Gate Benefits", "Hudson Valley Insurance Group", "Rocky Mountain Advisors",
    "Côte Insurance Partners", "Twin Rivers Insurance", "Palmetto Coverage Co.", "Mesa Verde Insurance",
    "Ozark Family Insurance", "Willamette Benefit Partners", "Big Sky Insurance Group", "Piedmont Health Advisors",
)

FIRST_NAMES = (
    "James", "Maria", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David", "Elizabeth",
    "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah", "Carlos", "Karen",
    "Daniel", "Nancy", "Matthew", "Lisa", "Anthony", "Betty", "José", "Sandra", "Mark", "Ashley",
    "Zoë", "Renée", "Andre", "Mei", "Priya", "Tomás", "Aisha", "Seán", "Chloé", "Dmitri",
)

LAST_NAMES = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
    "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin",
    "O'Connor", "Nguyen", "Kim", "Patel", "Núñez", "Schäfer", "D'Souza", "Okafor", "Kowalski", "Ivanova",
)

CITIES = (
    ("Columbus", "OH", "43215", "614"), ("Austin", "TX", "78701", "512"), ("Tampa", "FL", "33602", "813"),
    ("Denver", "CO", "80202", "303"), ("Raleigh", "NC", "27601", "919"), ("Phoenix", "AZ", "85004", "602"),
    ("Nashville", "TN", "37203", "615"), ("Portland", "OR", "97204", "503"), ("Atlanta", "GA", "30303", "404"),
    ("Chicago", "IL", "60601", "312"), ("Boise", "ID", "83702", "208"), ("Richmond", "VA", "23219", "804"),
)

STREETS = ("Main Street", "Oak Avenue", "Commerce Drive", "Market Street", "Park Place", "Elm Street", "Broad Street")

ACCOUNT_MANAGERS = (
    "maria.lopez@dialer-billing.example",
    "sam.okafor@dialer-billing.example",
    "jen.kowalski@dialer-billing.example",
)


def agency_name(index: int) -> str:
    """Distinct names beyond the list, for benchmark-sized portfolios."""
    base = AGENCY_NAMES[index % len(AGENCY_NAMES)]
    round_ = index // len(AGENCY_NAMES)
    return base if round_ == 0 else f"{base} {round_ + 1}"
