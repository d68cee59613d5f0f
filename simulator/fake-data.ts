import { type Rng } from './rng';

// Realistic-looking but fake customers and products, drawn from the seeded RNG so a given seed always yields
// the same FRs (test failures replay; benchmark runs compare).

const FIRST = [
  'Olivia',
  'Liam',
  'Emma',
  'Noah',
  'Ava',
  'Mateo',
  'Sofia',
  'Lucas',
  'Mia',
  'Ethan',
  'Amara',
  'Kenji',
];
const LAST = [
  'Smith',
  'Garcia',
  'Nguyen',
  'Johnson',
  'Okafor',
  'Kowalski',
  'Brown',
  'Rossi',
  'Tanaka',
  'Lopez',
];
const STREETS = [
  'Main St',
  'Oak Ave',
  'Maple Dr',
  'Cedar Ln',
  'Harbor Blvd',
  'Pine Ct',
  'River Rd',
  '1st Lane',
];
const CITIES: readonly (readonly [city: string, state: string, code: string, zip: string])[] = [
  ['Jacksonville', 'Florida', 'FL', '322'],
  ['Austin', 'Texas', 'TX', '787'],
  ['Portland', 'Oregon', 'OR', '972'],
  ['Columbus', 'Ohio', 'OH', '432'],
  ['Denver', 'Colorado', 'CO', '802'],
  ['Raleigh', 'North Carolina', 'NC', '276'],
];
const PRODUCTS: readonly (readonly [sku: string, title: string, cost: number])[] = [
  ['TSHIRT-BLK-M', 'Classic Tee, Black, M', 6.4],
  ['TSHIRT-WHT-L', 'Classic Tee, White, L', 6.4],
  ['MUG-CER-12', 'Ceramic Mug 12oz', 3.15],
  ['BOTTLE-SS-750', 'Steel Bottle 750ml', 8.9],
  ['CAP-NVY-OS', 'Baseball Cap, Navy', 5.25],
  ['SOCK-GRY-3PK', 'Crew Socks, Grey, 3-pack', 4.1],
  ['TOTE-CNV-NAT', 'Canvas Tote, Natural', 3.8],
  ['HOODIE-OLV-XL', 'Pullover Hoodie, Olive, XL', 17.6],
  ['NOTE-A5-DOT', 'A5 Dotted Notebook', 2.95],
  ['PEN-GEL-BLU', 'Gel Pen, Blue', 0.55],
];

export interface FakeAddress {
  id: number;
  name: string;
  firstName: string;
  lastName: string;
  companyName: string | null;
  addressLine1: string;
  addressLine2: string | null;
  city: string;
  state: string;
  stateCode: string;
  country: string;
  countryCode: string;
  postal: string;
  email: string;
  phone: string;
  redacted: boolean;
  hash: string;
}

export function fakeAddress(rng: Rng, id: number): FakeAddress {
  const firstName = rng.pick(FIRST);
  const lastName = rng.pick(LAST);
  const [city, state, stateCode, zip] = rng.pick(CITIES);
  const postal = `${zip}${String(rng.int(0, 99)).padStart(2, '0')}`;
  return {
    id,
    name: `${firstName} ${lastName}`,
    firstName,
    lastName,
    companyName: rng.chance(0.2) ? `${lastName} & Co` : null,
    addressLine1: `${rng.int(1, 9999)} ${rng.pick(STREETS)}`,
    addressLine2: rng.chance(0.3) ? `Apt ${rng.int(1, 400)}` : null,
    city,
    state,
    stateCode,
    country: 'United States',
    countryCode: 'US',
    postal,
    email: `${firstName}.${lastName}${rng.int(1, 99)}@example.com`.toLowerCase(),
    // 555-01xx numbers are reserved for fiction.
    phone: `1-${rng.int(200, 989)}-555-01${String(rng.int(0, 99)).padStart(2, '0')}`,
    redacted: false,
    hash: (id * 2654435761).toString(16),
  };
}

export interface FakeProductLine {
  sku: string;
  title: string;
  cost: number;
}

/** `count` distinct products (SKUs unique within one FR, as most FRs are). */
export function fakeProducts(rng: Rng, count: number): FakeProductLine[] {
  const start = rng.int(0, PRODUCTS.length - 1);
  const out: FakeProductLine[] = [];
  for (let i = 0; i < count; i++) {
    const p = PRODUCTS[(start + i) % PRODUCTS.length]!;
    // Beyond the catalogue size, suffix to keep SKUs unique.
    const round = Math.floor((start + i) / PRODUCTS.length);
    out.push({ sku: round > 0 && i >= PRODUCTS.length ? `${p[0]}-${round}` : p[0], title: p[1], cost: p[2] });
  }
  return out;
}
