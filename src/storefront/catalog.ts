/**
 * Deterministic demo data for the reference storefront: product i is always the
 * same product, whatever the catalog size, so tests can predict it.
 */

/** A variation as the store keeps it (protocol shape; numbers may be strings). */
export interface StoreVariation {
  _id?: string;
  sku?: string;
  barcode?: string;
  size?: string;
  color?: string;
  availabilities?: Array<{ tag: string; quantity: string | number }>;
  prices?: Array<{ tag: string; currency: string; number: string | number }>;
  images?: Array<{ url: string }>;
  videos?: Array<{ url: string }>;
  [key: string]: unknown;
}

/** A PRODUCT as the store keeps and serves it. */
export interface StoreProduct {
  _id: string;
  sku?: string;
  title?: string;
  url?: string;
  brand?: string;
  mpn?: string;
  model?: string;
  description?: string;
  tags?: Array<{ value: string }>;
  categories?: string[];
  variations?: StoreVariation[];
  [key: string]: unknown;
}

/** An order as the store keeps and serves it. */
export interface StoreOrder {
  _id: string;
  [key: string]: unknown;
}

export const FIRST_PRODUCT_ID = 1_000_001;
export const FIRST_ORDER_ID = 7_000_001;

interface Kind {
  name: string;
  code: string;
  category: string;
  sizes: string[];
  price: [number, number];
  tag: string;
}

const KINDS: Kind[] = [
  { name: 'T-Shirt', code: 'TS', category: 'Apparel > Tops', sizes: ['S', 'M', 'L', 'XL'], price: [12, 35], tag: 'tees' },
  { name: 'Hoodie', code: 'HD', category: 'Apparel > Sweatshirts', sizes: ['S', 'M', 'L', 'XL'], price: [35, 80], tag: 'hoodies' },
  { name: 'Running Shoes', code: 'RS', category: 'Footwear > Running', sizes: ['40', '41', '42', '43', '44'], price: [60, 160], tag: 'running' },
  { name: 'Sneakers', code: 'SN', category: 'Footwear > Casual', sizes: ['39', '40', '41', '42', '43'], price: [45, 130], tag: 'sneakers' },
  { name: 'Backpack', code: 'BP', category: 'Bags > Backpacks', sizes: ['20 L', '28 L', '35 L'], price: [30, 140], tag: 'bags' },
  { name: 'Rain Jacket', code: 'RJ', category: 'Apparel > Outerwear', sizes: ['S', 'M', 'L', 'XL'], price: [70, 220], tag: 'outerwear' },
  { name: 'Wireless Headphones', code: 'WH', category: 'Electronics > Audio', sizes: ['One size'], price: [40, 350], tag: 'audio' },
  { name: 'Water Bottle', code: 'WB', category: 'Outdoor > Hydration', sizes: ['500 ml', '750 ml', '1 L'], price: [9, 40], tag: 'outdoor' },
  { name: 'Yoga Mat', code: 'YM', category: 'Sports > Yoga', sizes: ['4 mm', '6 mm'], price: [20, 90], tag: 'yoga' },
  { name: 'Chino Trousers', code: 'CT', category: 'Apparel > Trousers', sizes: ['30/32', '32/32', '34/32', '36/34'], price: [35, 95], tag: 'trousers' },
];
const BRANDS: Array<[string, string]> = [
  ['Northwind', 'NW'], ['Kestrel', 'KS'], ['Lumen & Co', 'LM'], ['Riverstone', 'RV'], ['Alpine Works', 'AW'],
  ['Tailspin', 'TL'], ['Orbit Audio', 'OA'], ['Fabrikam', 'FB'], ['Harbor Supply', 'HS'], ['Cobalt', 'CB'],
];
const ADJECTIVES = ['Classic', 'Essential', 'Pro', 'Lightweight', 'Organic', 'Waterproof', 'Vintage', 'Performance', 'Everyday', 'Premium', 'Trail', 'Urban'];
const COLORS: Array<[string, string]> = [
  ['Black', 'BLK'], ['White', 'WHT'], ['Navy', 'NVY'], ['Grey', 'GRY'], ['Red', 'RED'], ['Olive', 'OLV'],
  ['Sand', 'SND'], ['Sky Blue', 'SKY'], ['Forest Green', 'FGR'], ['Burgundy', 'BRG'],
];
const STATUSES = ['payed', 'payed', 'payed', 'shipped', 'delivered', 'cancelled'];
const FIRST_NAMES = ['Ana', 'John', 'Maria', 'Luis', 'Emma', 'Noah', 'Sofia', 'Liam', 'Lucia', 'Omar'];
const LAST_NAMES = ['Garcia', 'Doe', 'Smith', 'Hernandez', 'Müller', 'Rossi', 'Kim', 'Silva', 'Novak', 'Khan'];

/** mulberry32: small, fast, deterministic. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = <T>(r: () => number, list: readonly T[]): T => list[Math.floor(r() * list.length)];

/** A valid EAN-13 (check digit included) from a 12-digit number. */
export function ean13(body12: number): string {
  const digits = String(body12).padStart(12, '0').slice(-12);
  let sum = 0;
  for (let i = 0; i < 12; i++) sum += Number(digits[i]) * (i % 2 === 0 ? 1 : 3);
  return digits + String((10 - (sum % 10)) % 10);
}

/**
 * Demo product number `i` (0-based): 2 to 4 variations (3 on average), quantities as
 * strings, prices as strings on even products and numbers on odd ones, and every
 * tenth product priced in "MX" (a non-ISO currency real stores send).
 *
 * @example demoProduct(0)._id // '1000001'
 */
export function demoProduct(i: number): StoreProduct {
  const r = rng(i * 2654435761 + 1);
  const kind = pick(r, KINDS);
  const [brand, brandCode] = pick(r, BRANDS);
  const adjective = pick(r, ADJECTIVES);
  const id = String(FIRST_PRODUCT_ID + i);
  const sku = `${brandCode}-${kind.code}-${String(i + 1).padStart(6, '0')}`;
  const title = `${brand} ${adjective} ${kind.name}`;
  const currency = i % 10 === 9 ? 'MX' : 'USD';
  const base = kind.price[0] + r() * (kind.price[1] - kind.price[0]);
  const amount = Math.round((currency === 'MX' ? base * 17 : base) * 100) / 100;
  const count = Math.min(2 + Math.floor(r() * 3), kind.sizes.length * COLORS.length);
  const variations: StoreVariation[] = [];
  const firstColor = Math.floor(r() * COLORS.length);
  for (let j = 0; j < count; j++) {
    const size = kind.sizes[j % kind.sizes.length];
    const [color, colorCode] = COLORS[(firstColor + Math.floor(j / kind.sizes.length) + j) % COLORS.length];
    const quantity = Math.floor(r() * 60);
    variations.push({
      _id: `${id}-${j + 1}`,
      sku: `${sku}-${size.replace(/[^A-Za-z0-9]/g, '')}-${colorCode}`,
      barcode: ean13(750_000_000_000 + i * 10 + j),
      size,
      color,
      availabilities: [{ tag: 'default', quantity: String(quantity) }],
      prices: [{ tag: 'default', currency, number: i % 2 === 0 ? amount.toFixed(2) : amount }],
      images: [{ url: `https://cdn.example.com/products/${id}/${j + 1}.jpg` }],
      videos: [],
    });
  }
  return {
    _id: id,
    sku,
    title,
    url: `https://shop.example.com/p/${title.toLowerCase().replace(/[^a-z0-9]+/g, '-')}-${id}`,
    brand,
    mpn: `${brandCode}${String(Math.floor(r() * 1e6)).padStart(6, '0')}`,
    model: `${kind.code}${100 + Math.floor(r() * 900)}`,
    description: `${adjective} ${kind.name.toLowerCase()} by ${brand}. Free returns within 30 days.`,
    tags: [{ value: kind.tag }, { value: adjective.toLowerCase() }],
    categories: [kind.category],
    variations,
  };
}

/** Demo order number `k` over the given products (its lines point at their variations). */
export function demoOrder(k: number, products: readonly StoreProduct[]): StoreOrder {
  const r = rng(k * 40503 + 7);
  const lines = 1 + Math.floor(r() * 3);
  const orderItems: Array<Record<string, string>> = [];
  let total = 0;
  let currency = 'USD';
  for (let n = 0; n < lines && products.length > 0; n++) {
    const p = products[Math.floor(r() * products.length)];
    const vars = Array.isArray(p.variations) ? p.variations : [];
    const vi = Math.floor(r() * Math.max(vars.length, 1));
    const v = vars[vi];
    const price = v?.prices?.[0];
    const unit = price ? Number(price.number) : 10;
    currency = price?.currency ?? currency;
    const quantity = 1 + Math.floor(r() * 2);
    total += unit * quantity;
    orderItems.push({
      id: p._id,
      variation_id: v?._id ?? String(vi),
      quantity: String(quantity),
      unitPrice: String(unit),
      currencyId: currency,
    });
  }
  const first = pick(r, FIRST_NAMES);
  const last = pick(r, LAST_NAMES);
  const status = pick(r, STATUSES);
  const created = new Date(Date.UTC(2026, 0, 1) + k * 3_600_000);
  return {
    _id: String(FIRST_ORDER_ID + k),
    orderid: String(900_000 + k),
    status,
    dateCreated: created.toISOString(),
    dateClosed: status === 'delivered' ? new Date(created.getTime() + 3 * 86_400_000).toISOString() : '',
    total: { amount: Math.round(total * 100) / 100, currency },
    orderItems,
    buyer: {
      id: String(4_000_000 + k),
      email: `${first}.${last}.${k}@example.com`.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase(),
      phone: `555${String(1_000_000 + k).slice(-7)}`,
      firstName: first,
      lastName: last,
    },
    shipments: [],
  };
}
