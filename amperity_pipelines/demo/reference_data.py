"""Vocabulary the demo people are drawn from: names, nicknames, streets, cities, products.

Lists are ordered roughly by real-world frequency; the population draws from them with Zipf
weights, so common names repeat (several unrelated "James Smith"s) just as in real data.
Everything here is invented or public-domain census-style vocabulary; no real person's data.
"""

from __future__ import annotations

# (canonical given name, nicknames). Nicknames are what Stitch's nickname table must bridge.
MALE_NAMES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("James", ("Jim", "Jimmy", "Jamie")), ("Robert", ("Bob", "Rob", "Bobby")), ("John", ("Jack", "Johnny")),
    ("Michael", ("Mike", "Mikey")), ("David", ("Dave",)), ("William", ("Bill", "Will", "Billy")),
    ("Richard", ("Rick", "Rich", "Dick")), ("Joseph", ("Joe", "Joey")), ("Thomas", ("Tom", "Tommy")),
    ("Christopher", ("Chris",)), ("Charles", ("Charlie", "Chuck")), ("Daniel", ("Dan", "Danny")),
    ("Matthew", ("Matt",)), ("Anthony", ("Tony",)), ("Mark", ()), ("Donald", ("Don",)),
    ("Steven", ("Steve",)), ("Andrew", ("Andy", "Drew")), ("Paul", ()), ("Joshua", ("Josh",)),
    ("Kenneth", ("Ken", "Kenny")), ("Kevin", ()), ("Brian", ()), ("Timothy", ("Tim",)),
    ("Ronald", ("Ron",)), ("George", ()), ("Jason", ()), ("Edward", ("Ed", "Eddie", "Ted")),
    ("Jeffrey", ("Jeff",)), ("Ryan", ()), ("Jacob", ("Jake",)), ("Nicholas", ("Nick",)),
    ("Gary", ()), ("Eric", ()), ("Jonathan", ("Jon",)), ("Stephen", ("Steve",)), ("Larry", ()),
    ("Justin", ()), ("Scott", ()), ("Brandon", ()), ("Benjamin", ("Ben",)), ("Samuel", ("Sam",)),
    ("Gregory", ("Greg",)), ("Alexander", ("Alex",)), ("Patrick", ("Pat",)), ("Frank", ()),
    ("Raymond", ("Ray",)), ("Jack", ()), ("Dennis", ()), ("Jerry", ()), ("Tyler", ()),
    ("Aaron", ()), ("Jose", ("Pepe",)), ("Adam", ()), ("Nathan", ("Nate",)), ("Henry", ("Hank",)),
    ("Zachary", ("Zach",)), ("Douglas", ("Doug",)), ("Peter", ("Pete",)), ("Kyle", ()),
    ("Noah", ()), ("Ethan", ()), ("Jeremy", ()), ("Walter", ("Walt",)), ("Christian", ()),
    ("Keith", ()), ("Roger", ()), ("Terry", ()), ("Austin", ()), ("Sean", ()), ("Gerald", ("Jerry",)),
    ("Carl", ()), ("Harold", ("Harry",)), ("Dylan", ()), ("Arthur", ("Art",)), ("Lawrence", ("Larry",)),
    ("Jordan", ()), ("Jesse", ()), ("Bryan", ()), ("Billy", ()), ("Bruce", ()), ("Gabriel", ("Gabe",)),
    ("Joe", ()), ("Logan", ()), ("Alan", ()), ("Juan", ()), ("Albert", ("Al",)), ("Willie", ()),
    ("Elijah", ("Eli",)), ("Wayne", ()), ("Randy", ()), ("Vincent", ("Vince",)), ("Mason", ()),
    ("Roy", ()), ("Ralph", ()), ("Bobby", ()), ("Russell", ("Russ",)), ("Bradley", ("Brad",)),
    ("Philip", ("Phil",)), ("Eugene", ("Gene",)), ("Wei", ()), ("Hiroshi", ()), ("Rahul", ()),
    ("Mohammed", ()), ("Luis", ()), ("Carlos", ()), ("Minh", ()), ("Theodore", ("Ted", "Teddy")),
    ("Frederick", ("Fred", "Freddie")), ("Nathaniel", ("Nate", "Nat")), ("Mateo", ()), ("Arjun", ()),
)

FEMALE_NAMES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Mary", ()), ("Patricia", ("Pat", "Patty", "Trish")), ("Jennifer", ("Jen", "Jenny")),
    ("Linda", ()), ("Elizabeth", ("Liz", "Beth", "Betsy", "Eliza")), ("Barbara", ("Barb",)),
    ("Susan", ("Sue", "Suzy")), ("Jessica", ("Jess", "Jessie")), ("Sarah", ()), ("Karen", ()),
    ("Lisa", ()), ("Nancy", ()), ("Betty", ()), ("Margaret", ("Maggie", "Peggy", "Meg")),
    ("Sandra", ("Sandy",)), ("Ashley", ()), ("Kimberly", ("Kim",)), ("Emily", ("Em",)),
    ("Donna", ()), ("Michelle", ("Shelly",)), ("Carol", ()), ("Amanda", ("Mandy",)),
    ("Dorothy", ("Dot", "Dottie")), ("Melissa", ("Missy",)), ("Deborah", ("Deb", "Debbie")),
    ("Stephanie", ("Steph",)), ("Rebecca", ("Becky", "Becca")), ("Sharon", ()), ("Laura", ()),
    ("Cynthia", ("Cindy",)), ("Kathleen", ("Kathy", "Kate")), ("Amy", ()), ("Angela", ("Angie",)),
    ("Shirley", ()), ("Anna", ()), ("Brenda", ()), ("Pamela", ("Pam",)), ("Emma", ()),
    ("Nicole", ("Nikki",)), ("Helen", ()), ("Samantha", ("Sam", "Sammy")), ("Katherine", ("Kate", "Katie", "Kat")),
    ("Christine", ("Chris", "Chrissy")), ("Debra", ("Deb",)), ("Rachel", ()), ("Carolyn", ()),
    ("Janet", ()), ("Catherine", ("Cathy", "Cat")), ("Maria", ()), ("Heather", ()), ("Diane", ()),
    ("Ruth", ()), ("Julie", ()), ("Olivia", ("Liv",)), ("Joyce", ()), ("Virginia", ("Ginny",)),
    ("Victoria", ("Vicky", "Tori")), ("Kelly", ()), ("Lauren", ()), ("Christina", ("Tina", "Chris")),
    ("Joan", ()), ("Evelyn", ("Evie",)), ("Judith", ("Judy",)), ("Megan", ()), ("Andrea", ()),
    ("Cheryl", ()), ("Hannah", ()), ("Jacqueline", ("Jackie",)), ("Martha", ()), ("Gloria", ()),
    ("Teresa", ("Terri",)), ("Ann", ()), ("Sara", ()), ("Madison", ("Maddie",)), ("Frances", ("Fran",)),
    ("Kathryn", ("Katie",)), ("Janice", ()), ("Jean", ()), ("Abigail", ("Abby",)), ("Alice", ()),
    ("Judy", ()), ("Sophia", ("Sophie",)), ("Grace", ()), ("Denise", ()), ("Amber", ()),
    ("Doris", ()), ("Marilyn", ()), ("Danielle", ("Dani",)), ("Beverly", ("Bev",)), ("Isabella", ("Bella", "Izzy")),
    ("Theresa", ("Tess",)), ("Diana", ()), ("Natalie", ()), ("Brittany", ()), ("Charlotte", ("Charlie",)),
    ("Marie", ()), ("Kayla", ()), ("Alexis", ("Lexi",)), ("Lori", ()), ("Mei", ()), ("Priya", ()),
    ("Aisha", ()), ("Sofia", ()), ("Guadalupe", ("Lupe",)), ("Yuki", ()), ("Ngoc", ()), ("Fatima", ()),
    ("Alexandra", ("Alex", "Sasha")), ("Gabriella", ("Gabby",)), ("Valentina", ("Vale",)),
)

SURNAMES: tuple[str, ...] = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
    "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore",
    "Jackson", "Martin", "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez", "Clark",
    "Ramirez", "Lewis", "Robinson", "Walker", "Young", "Allen", "King", "Wright", "Scott", "Torres",
    "Nguyen", "Hill", "Flores", "Green", "Adams", "Nelson", "Baker", "Hall", "Rivera", "Campbell",
    "Mitchell", "Carter", "Roberts", "Gomez", "Phillips", "Evans", "Turner", "Diaz", "Parker",
    "Cruz", "Edwards", "Collins", "Reyes", "Stewart", "Morris", "Morales", "Murphy", "Cook",
    "Rogers", "Gutierrez", "Ortiz", "Morgan", "Cooper", "Peterson", "Bailey", "Reed", "Kelly",
    "Howard", "Ramos", "Kim", "Cox", "Ward", "Richardson", "Watson", "Brooks", "Chavez", "Wood",
    "James", "Bennett", "Gray", "Mendoza", "Ruiz", "Hughes", "Price", "Alvarez", "Castillo",
    "Sanders", "Patel", "Myers", "Long", "Ross", "Foster", "Jimenez", "Powell", "Jenkins", "Perry",
    "Russell", "Sullivan", "Bell", "Coleman", "Butler", "Henderson", "Barnes", "Gonzales", "Fisher",
    "Vasquez", "Simmons", "Romero", "Jordan", "Patterson", "Alexander", "Hamilton", "Graham",
    "Reynolds", "Griffin", "Wallace", "Moreno", "West", "Cole", "Hayes", "Bryant", "Herrera",
    "Gibson", "Ellis", "Tran", "Medina", "Aguilar", "Stevens", "Murray", "Ford", "Castro",
    "Marshall", "Owens", "Harrison", "Fernandez", "McDonald", "Woods", "Washington", "Kennedy",
    "Wells", "Vargas", "Henry", "Chen", "Freeman", "Webb", "Tucker", "Guzman", "Burns", "Crawford",
    "Olson", "Simpson", "Porter", "Hunter", "Gordon", "Mendez", "Silva", "Shaw", "Snyder", "Mason",
    "Dixon", "Munoz", "Hunt", "Hicks", "Holmes", "Palmer", "Wagner", "Black", "Robertson", "Boyd",
    "Rose", "Stone", "Salazar", "Fox", "Warren", "Mills", "Meyer", "Rice", "Schmidt", "Garza",
    "Daniels", "Ferguson", "Nichols", "Stephens", "Soto", "Weaver", "Ryan", "Gardner", "Payne",
    "Grant", "Dunn", "Kelley", "Spencer", "Hawkins", "Arnold", "Pierce", "Vazquez", "Hansen",
    "Peters", "Santos", "Hart", "Bradley", "Knight", "Elliott", "Cunningham", "Duncan", "Armstrong",
    "Hudson", "Carroll", "Lane", "Riley", "Andrews", "Alvarado", "Ray", "Delgado", "Berry",
    "Perkins", "Hoffman", "Johnston", "Matthews", "Pena", "Richards", "Contreras", "Willis",
    "Carpenter", "Lawrence", "Sandoval", "Wang", "Li", "Zhang", "Liu", "Yamamoto", "Tanaka",
    "Sato", "Park", "Choi", "Singh", "Shah", "Khan", "Ali", "Le", "Pham", "Huynh", "Nakamura",
    "O'Brien", "O'Connor", "O'Neill", "McCarthy", "MacDonald", "Van Dyke", "Van der Berg",
    "De la Cruz", "St. John", "Smith-Jones", "Garcia-Lopez", "Lindqvist", "Kowalski", "Novak",
    "Schneider", "Fischer", "Becker", "Rossi", "Russo", "Ferrari", "Esposito", "Bianchi",
    "Johansson", "Nielsen", "Larsen", "Dubois", "Moreau", "Laurent", "Okafor", "Mensah", "Haddad",
)

# Synthetic English-style surnames for the long tail ("Ashford", "Whitmore", ...).
SURNAME_HEADS = (
    "Ash", "Whit", "Black", "Brad", "Brom", "Brook", "Cald", "Carl", "Chad", "Clay", "Cran", "Dal",
    "Dun", "East", "Fair", "Fern", "Gar", "Hal", "Hart", "Haw", "Hol", "Kings", "Lang", "Lind",
    "Mar", "Mid", "Mor", "North", "Oak", "Pem", "Ral", "Red", "Roth", "Shel", "Stan", "Stock",
    "Thorn", "Wake", "Wel", "Wins",
)
SURNAME_TAILS = (
    "ford", "more", "wood", "ley", "ton", "well", "field", "worth", "by", "ham", "stead", "wick",
    "bury", "dale", "combe", "hurst", "mont", "ridge", "land", "shaw", "brook", "gate", "well", "cott",
)

# Street names and (abbreviation, full word) suffixes; preprocessing must expand the abbreviations.
STREETS = (
    "Main", "Oak", "Pine", "Maple", "Cedar", "Elm", "Washington", "Lake", "Hill", "Park", "View",
    "1st", "2nd", "3rd", "4th", "5th", "6th", "7th", "8th", "9th", "10th", "12th", "15th", "23rd",
    "Lincoln", "Jefferson", "Madison", "Franklin", "Highland", "Sunset", "Ridge", "Spring", "Valley",
    "River", "Forest", "Meadow", "Church", "Mill", "Walnut", "Cherry", "Chestnut", "Willow", "Birch",
    "Aspen", "Magnolia", "Dogwood", "Hawthorne", "Jackson", "Adams", "Union", "Market", "Broadway",
    "College", "Academy", "Harbor", "Bay", "Ocean", "Mountain", "Summit", "Evergreen", "Rainier",
    "Olympic", "Cascade", "Pacific", "Alder", "Spruce", "Fir", "Juniper", "Sycamore", "Poplar",
    "Greenwood", "Fremont", "Ballard", "Queen Anne", "Beacon", "Columbia", "Division", "Burnside",
    "Hawthorne", "Belmont", "Alberta", "Killingsworth", "Sandy", "Foster", "Holgate", "Powell",
)
STREET_TYPES = (
    ("St", "Street"), ("Ave", "Avenue"), ("Rd", "Road"), ("Dr", "Drive"), ("Ln", "Lane"),
    ("Blvd", "Boulevard"), ("Ct", "Court"), ("Pl", "Place"), ("Way", "Way"), ("Ter", "Terrace"),
)
DIRECTIONS = ("", "", "", "", "N", "S", "E", "W", "NE", "NW", "SE", "SW")
UNIT_WORDS = ("Apt", "Unit", "#", "Ste")

# (city, state, first ZIP, number of ZIPs, area codes). Leading-zero ZIPs are deliberate.
CITIES: tuple[tuple[str, str, int, int, tuple[int, ...]], ...] = (
    ("Seattle", "WA", 98101, 99, (206,)), ("Bellevue", "WA", 98004, 5, (425,)),
    ("Tacoma", "WA", 98402, 20, (253,)), ("Spokane", "WA", 99201, 20, (509,)),
    ("Portland", "OR", 97201, 30, (503, 971)), ("Eugene", "OR", 97401, 5, (541,)),
    ("San Francisco", "CA", 94102, 30, (415, 628)), ("Oakland", "CA", 94601, 20, (510,)),
    ("San Jose", "CA", 95110, 30, (408, 669)), ("Los Angeles", "CA", 90001, 90, (213, 323, 310)),
    ("San Diego", "CA", 92101, 30, (619, 858)), ("Sacramento", "CA", 95814, 20, (916,)),
    ("Phoenix", "AZ", 85003, 40, (602, 480)), ("Tucson", "AZ", 85701, 20, (520,)),
    ("Las Vegas", "NV", 89101, 40, (702,)), ("Salt Lake City", "UT", 84101, 20, (801,)),
    ("Boise", "ID", 83702, 15, (208,)), ("Denver", "CO", 80202, 40, (303, 720)),
    ("Austin", "TX", 78701, 40, (512,)), ("Dallas", "TX", 75201, 50, (214, 469)),
    ("Houston", "TX", 77002, 60, (713, 832)), ("Chicago", "IL", 60601, 60, (312, 773)),
    ("Minneapolis", "MN", 55401, 30, (612,)), ("Detroit", "MI", 48201, 30, (313,)),
    ("Columbus", "OH", 43201, 30, (614,)), ("Atlanta", "GA", 30303, 40, (404, 678)),
    ("Miami", "FL", 33125, 40, (305, 786)), ("Orlando", "FL", 32801, 30, (407,)),
    ("Charlotte", "NC", 28202, 30, (704,)), ("Nashville", "TN", 37201, 30, (615,)),
    ("Washington", "DC", 20001, 30, (202,)), ("Philadelphia", "PA", 19102, 40, (215, 267)),
    ("Pittsburgh", "PA", 15201, 30, (412,)), ("New York", "NY", 10001, 90, (212, 646, 917)),
    ("Brooklyn", "NY", 11201, 40, (718, 347)), ("Newark", "NJ", 7102, 10, (973,)),
    ("Boston", "MA", 2108, 30, (617, 857)), ("Cambridge", "MA", 2138, 5, (617,)),
    ("Providence", "RI", 2903, 8, (401,)), ("Hartford", "CT", 6103, 10, (860,)),
    ("Burlington", "VT", 5401, 3, (802,)), ("Portland", "ME", 4101, 3, (207,)),
    ("Anchorage", "AK", 99501, 15, (907,)), ("Honolulu", "HI", 96813, 15, (808,)),
)

EMAIL_DOMAINS = (
    "gmail.com", "yahoo.com", "hotmail.com", "outlook.com", "icloud.com", "aol.com",
    "comcast.net", "msn.com", "live.com", "me.com", "protonmail.com", "att.net", "verizon.net",
    "sbcglobal.net", "hey.com", "fastmail.com",
)
EMAIL_DOMAIN_WEIGHTS = (40, 14, 9, 8, 7, 4, 3, 2, 2, 2, 2, 2, 1, 1, 1, 1)

# Junk values real systems are full of; Stitch's blocklist and bad-value lists must drop them.
JUNK_EMAILS = ("test@test.com", "noemail@noemail.com", "none@none.com", "na@na.com", "N/A", "no@email.com")
JUNK_PHONES = ("0000000000", "(555) 555-5555", "N/A", "1234567890", "999-999-9999")
JUNK_NAMES = ("N/A", "TEST", "GUEST", "UNKNOWN")
JUNK_BIRTHDATES = ("1900-01-01", "1899-12-31", "1920-01-01")

BRANDS = ("Northwind Outfitters", "Harbor & Pine", "Summit Kids", "Evergreen Home", "Cascade Active")
PAYMENT_METHODS = ("visa", "mastercard", "amex", "discover", "paypal", "gift_card", "cash")
LOYALTY_TIERS = ("Bronze", "Silver", "Gold", "Platinum")
