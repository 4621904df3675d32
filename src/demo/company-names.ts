// Word lists for plausible, unique company names and the CSM team that owns the sample accounts.
import type { Random } from "./random.ts";

const FIRST_WORDS = [
  "Northwind", "Bluepeak", "Ironbark", "Silverline", "Brightwater", "Redwood", "Stonebridge", "Clearview",
  "Harborlight", "Summitway", "Greenfield", "Oakridge", "Skylark", "Evergreen", "Lakeshore", "Copperleaf",
  "Westgate", "Pinecrest", "Starling", "Riverbend", "Granite", "Foxglove", "Highland", "Sunpath",
  "Meridian", "Blackstone", "Driftwood", "Cobalt", "Tidewater", "Amberly", "Crescent", "Fairhaven",
  "Kestrel", "Larkspur", "Maplewood", "Nimbus", "Orchard", "Quarry", "Saltmarsh", "Thornbury",
] as const; // prettier-ignore

const SECOND_WORDS = [
  "Analytics", "Logistics", "Health", "Robotics", "Software", "Foods", "Energy", "Capital", "Media",
  "Labs", "Systems", "Networks", "Retail", "Insurance", "Biotech", "Freight", "Studios", "Consulting",
  "Payments", "Learning", "Security", "Outdoor", "Manufacturing", "Travel", "Realty", "Telecom",
  "Pharma", "Apparel", "Aerospace", "Marine",
] as const; // prettier-ignore

/** The customer success managers; ~8 people share the book of business. */
export const CSM_OWNERS = [
  "maya.chen@example.com",
  "daniel.okafor@example.com",
  "sofia.ramirez@example.com",
  "liam.novak@example.com",
  "priya.raman@example.com",
  "jonas.berg@example.com",
  "amara.diallo@example.com",
  "ethan.park@example.com",
] as const;

/**
 * `count` distinct company names. Pairs of words are drawn without replacement; past the
 * 1,200 pairs a numeral keeps names (and so domains) unique.
 */
export function companyNames(random: Random, count: number): string[] {
  const pairs = random.shuffle(FIRST_WORDS.flatMap((first) => SECOND_WORDS.map((s) => `${first} ${s}`)));
  return Array.from({ length: count }, (_, i) => {
    const pair = pairs[i % pairs.length] as string;
    const round = Math.floor(i / pairs.length);
    return round === 0 ? pair : `${pair} ${round + 1}`;
  });
}

/** "Northwind Analytics" → "northwind-analytics.com". */
export function domainOf(name: string): string {
  const slug = name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "");
  return `${slug}.com`;
}
