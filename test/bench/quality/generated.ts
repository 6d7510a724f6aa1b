/**
 * Seeded synthetic tables: each plants a structure that some imputers can exploit and others cannot
 * (linear low-rank structure, a curved manifold, text that names the class, class regions in space).
 */
import { deriveSeed, gaussian, randomInt, seededRandom, type Random } from './random.js';
import { numericColumn, stringColumn, validateTable, type BenchTable } from './table.js';

/** rows x columns matrix of the given rank plus Gaussian noise (the DataWig paper's synthetic data). */
export function lowRankTable(seed: number, rows = 600, columns = 30, rank = 4, noise = 0.1): BenchTable {
  const random = seededRandom(deriveSeed(seed, 'low-rank'));
  const left = Array.from({ length: rows }, () => Float64Array.from({ length: rank }, () => gaussian(random)));
  const right = Array.from({ length: rank }, () => Float64Array.from({ length: columns }, () => gaussian(random)));
  const cols = Array.from({ length: columns }, (_, j) => {
    const values = new Float64Array(rows);
    for (let i = 0; i < rows; i++) {
      let sum = 0;
      for (let k = 0; k < rank; k++) sum += left[i]![k]! * right[k]![j]!;
      values[i] = sum + noise * gaussian(random);
    }
    return numericColumn(`x${j + 1}`, values);
  });
  return validateTable({ name: 'lowrank', description: `${rows} x ${columns} numeric, rank ${rank} plus N(0, ${noise}²) noise`, rows, columns: cols });
}

/** The swiss roll (t cos t, height, t sin t): a curved 2-d manifold in 3-d. */
export function swissRollTable(seed: number, rows = 600): BenchTable {
  const random = seededRandom(deriveSeed(seed, 'swiss-roll'));
  const x = new Float64Array(rows);
  const height = new Float64Array(rows);
  const z = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    const t = 1.5 * Math.PI * (1 + 2 * random());
    x[i] = t * Math.cos(t);
    height[i] = 21 * random();
    z[i] = t * Math.sin(t);
  }
  return validateTable({
    name: 'swissroll',
    description: `${rows} x 3 numeric swiss roll (t cos t, h, t sin t)`,
    rows,
    columns: [numericColumn('x', x), numericColumn('height', height), numericColumn('z', z)],
  });
}

/**
 * Points in the unit square, `region` = the nearest of 10 seeded centres (5 % label noise),
 * `altitude` a smooth function of the position, `terrain` a band of the altitude. The categorical
 * targets are determined by the coordinates, which a tree or kNN model can learn and a linear one cannot.
 */
export function coordinatesTable(seed: number, rows = 1500): BenchTable {
  const random = seededRandom(deriveSeed(seed, 'coordinates'));
  const centres = Array.from({ length: 10 }, () => [random(), random()] as const);
  const x = new Float64Array(rows);
  const y = new Float64Array(rows);
  const altitude = new Float64Array(rows);
  const region: string[] = [];
  const terrain: string[] = [];
  for (let i = 0; i < rows; i++) {
    x[i] = random();
    y[i] = random();
    let nearest = 0;
    let best = Infinity;
    centres.forEach(([cx, cy], c) => {
      const d = (x[i]! - cx) ** 2 + (y[i]! - cy) ** 2;
      if (d < best) [best, nearest] = [d, c];
    });
    region.push(`region_${random() < 0.05 ? randomInt(random, centres.length) : nearest}`);
    altitude[i] = 1000 * (Math.sin(3 * x[i]!) * Math.cos(4 * y[i]!) + 1) + 50 * gaussian(random);
    terrain.push(altitude[i]! < 700 ? 'lowland' : altitude[i]! < 1300 ? 'hills' : 'mountains');
  }
  return validateTable({
    name: 'coordinates',
    description: `${rows} points: x, y, altitude(x, y), region (nearest of 10 centres), terrain (altitude band)`,
    rows,
    columns: [
      numericColumn('x', x),
      numericColumn('y', y),
      numericColumn('altitude', altitude),
      stringColumn('region', 'categorical', region),
      stringColumn('terrain', 'categorical', terrain),
    ],
  });
}

const SYLLABLES = ['ka', 'lo', 'mi', 'ne', 'ru', 'sa', 'ti', 'vo', 'ze', 'pa', 'qui', 'dor', 'fen', 'gal', 'hix', 'jun', 'bra', 'cle', 'wyn', 'tor'];

/** Pronounceable pseudo-words, distinct, in a seeded order. */
function pseudoWords(count: number, random: Random): string[] {
  const words = new Set<string>();
  while (words.size < count) {
    const length = 2 + randomInt(random, 3);
    words.add(Array.from({ length }, () => SYLLABLES[randomInt(random, SYLLABLES.length)]!).join(''));
  }
  return [...words];
}

export const CATALOGUE_CLASSES = 16;
/** Category of the catalogue rows whose label never occurs in training. */
export const UNSEEN_CATEGORY = 'unseen_category';

interface CatalogueVocabulary {
  filler: string[];
  keywords: string[][];
  brands: string[];
}

function catalogueVocabulary(random: Random): CatalogueVocabulary {
  const words = pseudoWords(3000 + (CATALOGUE_CLASSES + 1) * 20 + 40, random);
  const filler = words.slice(0, 3000);
  const keywords = Array.from({ length: CATALOGUE_CLASSES + 1 }, (_, c) => words.slice(3000 + 20 * c, 3020 + 20 * c));
  // neighbouring classes share a few keywords, so that the text is informative but not a lookup
  for (let c = 0; c < CATALOGUE_CLASSES; c++) keywords[c]!.push(...keywords[(c + 1) % CATALOGUE_CLASSES]!.slice(0, 4));
  return { filler, keywords, brands: words.slice(-40) };
}

/** Zipf-like draw: frequent filler words dominate, as in real descriptions. */
function fillerWord(vocabulary: CatalogueVocabulary, random: Random): string {
  const n = vocabulary.filler.length;
  return vocabulary.filler[Math.min(n - 1, Math.floor(Math.exp(random() * Math.log(n))) - 1)]!;
}

function catalogueText(vocabulary: CatalogueVocabulary, category: number, words: number, signalRate: number, random: Random): string {
  const own = vocabulary.keywords[category]!;
  return Array.from({ length: words }, () => (random() < signalRate ? own[randomInt(random, own.length)]! : fillerWord(vocabulary, random))).join(' ');
}

/**
 * A product catalogue: `title` (4-8 words) and `description` (30-70 words) carry the 16-class
 * `category` through class keywords among Zipf filler; `brand` (40 values) leans on the category;
 * `price` is log-normal around a category level. About 3 % of rows have a 17th category that never
 * occurs in training: their category cell is masked in every mask (`alwaysMasked`).
 */
export function catalogueTable(seed: number, rows = 3000): BenchTable {
  const random = seededRandom(deriveSeed(seed, 'catalogue'));
  const vocabulary = catalogueVocabulary(random);
  const priceLevel = Array.from({ length: CATALOGUE_CLASSES + 1 }, () => 2 + 3 * random());
  const title: string[] = [];
  const description: string[] = [];
  const category: string[] = [];
  const brand: string[] = [];
  const price = new Float64Array(rows);
  const unseenRows: number[] = [];
  for (let i = 0; i < rows; i++) {
    const unseen = random() < 0.03;
    const c = unseen ? CATALOGUE_CLASSES : randomInt(random, CATALOGUE_CLASSES);
    if (unseen) unseenRows.push(i);
    title.push(catalogueText(vocabulary, c, 4 + randomInt(random, 5), 0.35, random));
    description.push(catalogueText(vocabulary, c, 30 + randomInt(random, 41), 0.06, random));
    category.push(unseen ? UNSEEN_CATEGORY : `category_${String(c).padStart(2, '0')}`);
    const brandIndex = random() < 0.5 ? (3 * c + randomInt(random, 3)) % vocabulary.brands.length : randomInt(random, vocabulary.brands.length);
    brand.push(vocabulary.brands[brandIndex]!);
    price[i] = Math.round(100 * Math.exp(priceLevel[c]! + 0.3 * gaussian(random))) / 100;
  }
  return validateTable({
    name: 'catalogue',
    description: `${rows} products: title + description → category (${CATALOGUE_CLASSES} classes + ${unseenRows.length} rows of one unseen in training), brand, price`,
    rows,
    columns: [
      stringColumn('title', 'text', title),
      stringColumn('description', 'text', description),
      stringColumn('category', 'categorical', category),
      stringColumn('brand', 'categorical', brand),
      numericColumn('price', price),
    ],
    alwaysMasked: { category: unseenRows },
  });
}
