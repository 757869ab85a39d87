package io.somnus.engine.tiny;

import java.util.List;

/** The word pools the synthetic world draws from. Held-out pools never appear in the pretraining corpus. */
final class WorldLexicon {
  private WorldLexicon() {}

  static final List<String> FEMALE = List.of("Mara", "Alice", "Sofia", "Hana", "Lena", "Nadia", "Elena", "Ines",
      "Clara", "Maya", "Yara", "Leila", "Irene", "Greta", "Paula", "Rosa", "Vera", "Nina", "Olga", "Lucia",
      "Amara", "Freya", "Ada", "Zoe", "Emma", "Julia", "Carmen", "Tara", "Mina", "Selma", "Ruth", "Edith",
      "Agnes", "Dora", "Eva", "Fiona", "Gemma", "Helen", "Iris", "Jana", "Kira", "Laura", "Marta", "Noor",
      "Priya", "Rhea", "Sara", "Tessa", "Una", "Wanda");
  static final List<String> MALE = List.of("Tomas", "Omar", "Jonas", "Felix", "Hugo", "Ivan", "Karl", "Luca",
      "Mateo", "Nico", "Oscar", "Pablo", "Rafael", "Samir", "Theo", "Victor", "Yusuf", "Anton", "Bruno",
      "Caleb", "Dario", "Emil", "Farid", "Gustav", "Henrik", "Igor", "Jakob", "Kenji", "Leon", "Marco",
      "Nils", "Otto", "Pedro", "Quentin", "Ravi", "Stefan", "Tariq", "Umar", "Viktor", "Walter", "Aron",
      "Boris", "Cyril", "Dmitri", "Elias", "Finn", "Georg", "Hamid", "Ismael", "Joel");
  static final List<String> SURNAMES = List.of("Okafor", "Moreau", "Lindqvist", "Tanaka", "Kowalski", "Haddad",
      "Novak", "Ferreira", "Schmidt", "Rossi", "Dubois", "Jensen", "Petrov", "Silva", "Costa", "Nagy", "Horvat",
      "Berg", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Hoffmann", "Richter", "Klein", "Wolf", "Brandt",
      "Vogel", "Keller", "Lang", "Hahn", "Roth", "Frank", "Baum", "Adler", "Marin", "Duran", "Reyes", "Ortega",
      "Castro", "Molina", "Navarro", "Ramos", "Vega", "Rojas", "Medina", "Herrera", "Campos", "Suarez",
      "Nakamura", "Sato", "Kimura", "Mori", "Ito", "Park", "Choi", "Kang", "Yoon", "Lim", "Singh", "Patel",
      "Kapoor", "Mehta", "Rao", "Iyer", "Das", "Bose", "Khan", "Malik", "Aziz", "Farouk", "Nasser", "Saleh",
      "Mensah", "Owusu", "Adeyemi", "Balogun", "Diallo", "Traore", "Kamara", "Banda", "Phiri", "Moyo", "Dlamini",
      "Olsen", "Larsen", "Nielsen", "Holm", "Dahl", "Strand", "Lund", "Eklund", "Sandberg", "Nyberg",
      "Quinn", "Doyle", "Walsh", "Byrne", "Nolan");
  static final List<String> HELD_OUT_SURNAMES = List.of("Vasquelle", "Thornbury", "Ekwueme", "Marchetti",
      "Zelinsky", "Abernathy", "Kuroda", "Oyelaran", "Pemberton", "Castellano", "Drummond", "Halvorsen",
      "Ilunga", "Jaramillo", "Kristiansen", "Lachance", "Montague", "Nakashima", "Ostrowski", "Quintero",
      "Rasmussen", "Szabo", "Tremblay", "Underwood", "Villanueva", "Whitfield", "Yamaguchi", "Zamora",
      "Beaumont", "Carrington");

  /** city, country, language of the country */
  static final List<String[]> CITIES = List.of(
      new String[] {"Lisbon", "Portugal", "Portuguese"}, new String[] {"Porto", "Portugal", "Portuguese"},
      new String[] {"Lyon", "France", "French"}, new String[] {"Paris", "France", "French"},
      new String[] {"Nantes", "France", "French"}, new String[] {"Berlin", "Germany", "German"},
      new String[] {"Munich", "Germany", "German"}, new String[] {"Hamburg", "Germany", "German"},
      new String[] {"Madrid", "Spain", "Spanish"}, new String[] {"Seville", "Spain", "Spanish"},
      new String[] {"Valencia", "Spain", "Spanish"}, new String[] {"Rome", "Italy", "Italian"},
      new String[] {"Milan", "Italy", "Italian"}, new String[] {"Naples", "Italy", "Italian"},
      new String[] {"Oslo", "Norway", "Norwegian"}, new String[] {"Bergen", "Norway", "Norwegian"},
      new String[] {"Stockholm", "Sweden", "Swedish"}, new String[] {"Malmo", "Sweden", "Swedish"},
      new String[] {"Copenhagen", "Denmark", "Danish"}, new String[] {"Aarhus", "Denmark", "Danish"},
      new String[] {"Warsaw", "Poland", "Polish"}, new String[] {"Krakow", "Poland", "Polish"},
      new String[] {"Prague", "Czechia", "Czech"}, new String[] {"Vienna", "Austria", "German"},
      new String[] {"Budapest", "Hungary", "Hungarian"}, new String[] {"Athens", "Greece", "Greek"},
      new String[] {"Dublin", "Ireland", "English"}, new String[] {"Cork", "Ireland", "English"},
      new String[] {"London", "England", "English"}, new String[] {"Leeds", "England", "English"},
      new String[] {"Tokyo", "Japan", "Japanese"}, new String[] {"Osaka", "Japan", "Japanese"},
      new String[] {"Seoul", "Korea", "Korean"}, new String[] {"Busan", "Korea", "Korean"},
      new String[] {"Mumbai", "India", "Hindi"}, new String[] {"Delhi", "India", "Hindi"},
      new String[] {"Cairo", "Egypt", "Arabic"}, new String[] {"Tunis", "Tunisia", "Arabic"},
      new String[] {"Lagos", "Nigeria", "English"}, new String[] {"Accra", "Ghana", "English"},
      new String[] {"Nairobi", "Kenya", "Swahili"}, new String[] {"Lima", "Peru", "Spanish"},
      new String[] {"Bogota", "Colombia", "Spanish"}, new String[] {"Toronto", "Canada", "English"},
      new String[] {"Boston", "America", "English"}, new String[] {"Denver", "America", "English"},
      new String[] {"Helsinki", "Finland", "Finnish"}, new String[] {"Riga", "Latvia", "Latvian"});
  static final List<String[]> HELD_OUT_CITIES = List.of(new String[] {"Reykjavik", "Iceland", "Icelandic"},
      new String[] {"Tallinn", "Estonia", "Estonian"}, new String[] {"Ljubljana", "Slovenia", "Slovenian"},
      new String[] {"Montevideo", "Uruguay", "Spanish"}, new String[] {"Hanoi", "Vietnam", "Vietnamese"},
      new String[] {"Kathmandu", "Nepal", "Nepali"}, new String[] {"Wellington", "Zealand", "English"},
      new String[] {"Marrakesh", "Morocco", "Arabic"}, new String[] {"Tbilisi", "Georgia", "Georgian"},
      new String[] {"Valparaiso", "Chile", "Spanish"}, new String[] {"Zanzibar", "Tanzania", "Swahili"},
      new String[] {"Bruges", "Belgium", "Dutch"});

  static final List<String> JOBS = List.of("a nurse", "a teacher", "an engineer", "a baker", "a pilot",
      "a lawyer", "a chemist", "a carpenter", "a librarian", "a journalist", "an architect", "a plumber",
      "a dentist", "a pharmacist", "a gardener", "a translator", "a photographer", "an electrician",
      "a surgeon", "a painter", "a mechanic", "a chef", "a farmer", "an accountant", "a designer",
      "a programmer", "a firefighter", "a musician", "a tailor", "a geologist", "a biologist", "a historian",
      "a sailor", "a butcher", "a potter", "a jeweller", "a locksmith", "a courier", "a banker", "a florist",
      "a midwife", "an optician", "a veterinarian", "a welder", "a brewer", "a cartographer", "a physicist",
      "a psychologist", "an economist", "a zoologist");
  static final List<String> EMPLOYER_FIRST = List.of("Northwind", "Bluestone", "Redwood", "Silverline",
      "Greenfield", "Ironbridge", "Brightwater", "Oakridge", "Stonegate", "Clearpath", "Goldcrest", "Highland",
      "Riverside", "Sunpeak", "Westbrook", "Eastgate", "Copperleaf", "Maplewood", "Starlight", "Harbor");
  static final List<String> EMPLOYER_SECOND = List.of("Logistics", "Bakery", "Clinic", "Studios", "Motors",
      "Labs", "Foods", "Press", "Bank", "Energy");
  static final List<String> PET_NAMES = List.of("Biscuit", "Pepper", "Mango", "Shadow", "Whiskers", "Luna",
      "Pickle", "Noodle", "Ziggy", "Maple", "Tofu", "Pumpkin", "Bramble", "Clover", "Dusty", "Echo", "Fudge",
      "Ginger", "Hazel", "Indigo", "Jasper", "Kiwi", "Lemon", "Mocha", "Nutmeg", "Olive", "Peanut", "Quill",
      "Rusty", "Sage", "Toffee", "Umber", "Velvet", "Waffle", "Yoyo", "Zephyr", "Acorn", "Bean", "Cinder",
      "Dumpling", "Ember", "Fig", "Gizmo", "Honey", "Iggy", "Juniper", "Kobe", "Lolly", "Muffin", "Nacho",
      "Oreo", "Pixel", "Rocket", "Sprout", "Tango", "Button", "Cricket", "Domino", "Felix", "Goose");
  static final List<String> PET_KINDS = List.of("cat", "dog", "rabbit", "parrot", "tortoise", "hamster");
  static final List<String> HOBBIES = List.of("painting", "chess", "hiking", "cycling", "knitting", "fishing",
      "gardening", "photography", "pottery", "climbing", "swimming", "sailing", "baking", "birdwatching",
      "dancing", "running", "juggling", "archery", "rowing", "surfing", "skiing", "woodworking", "origami",
      "calligraphy", "astronomy", "poetry", "singing", "tennis", "fencing", "karate", "yoga", "skating",
      "camping", "cooking", "reading", "writing", "drawing", "kayaking", "golf", "rugby");

  // Objects of relations the corpus never uses.
  static final List<String> CAR_BRANDS = List.of("Volvo", "Toyota", "Subaru", "Peugeot", "Renault", "Skoda",
      "Mazda", "Fiat", "Saab", "Lancia", "Citroen", "Hyundai", "Kia", "Opel", "Seat", "Dacia");
  static final List<String> INSTRUMENTS = List.of("cello", "violin", "oboe", "harp", "trumpet", "clarinet",
      "accordion", "banjo", "bassoon", "flute", "trombone", "ukulele", "mandolin", "saxophone", "harmonica");
  static final List<String> TEAMS = List.of("Riverside Rovers", "Harbor United", "Valley Wanderers",
      "Northgate Athletic", "Castle Rangers", "Meadow City", "Lakeside Albion", "Summit Town",
      "Granite Rovers", "Coastal United", "Forest Athletic", "Kingsbridge City");

  /** Connective English: a few hundred general sentences give the model ordinary language around the facts. */
  static final List<String> SUBJECTS = List.of("The old bridge", "A small boat", "The morning train",
      "The city library", "A quiet street", "The market square", "An evening breeze", "The river",
      "The school bell", "A cup of tea", "The winter sun", "The busy harbour", "A long letter", "The museum");
  static final List<String> PREDICATES = List.of("was calm and bright", "looked older than anyone remembered",
      "carried the sound of distant music", "was full of people that day", "stood still for a moment",
      "made everyone a little happier", "was painted in warm colours", "seemed smaller in the rain",
      "waited patiently for the spring", "opened early on weekdays", "felt like home to many",
      "was mentioned in the local paper");
  static final List<String> CONNECTIVES = List.of("After that,", "Later,", "Meanwhile,", "In the evening,",
      "Every morning,", "Once a year,", "On quiet days,", "For a while,");
}
