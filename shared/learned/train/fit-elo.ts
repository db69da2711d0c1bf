import { sigmoid } from "../models/dense";

const ELO_SCALE = 400 / Math.LN10;

/**
 * Elo ratings per cluster as the maximum-likelihood Bradley–Terry fit (as leaderboards compute Elo
 * from battles): on every query, each pair of candidates with scores is a game, won by the higher
 * score (half a point each on a tie, fractional for partial scores). A query where a single
 * candidate was observed (traffic) is a game against the query itself, an anchor rated 1000.
 * A small pull toward 1000 keeps candidates that never met finite.
 */
export function fitElo(
  scores: Float64Array,
  candidates: number,
  assignment: Int32Array,
  clusters: number,
  iterations = 300,
): Float32Array {
  const m = candidates;
  const size = m + 1;
  const ratings = new Float32Array(clusters * m);
  for (let c = 0; c < clusters; c++) {
    const wins = new Float64Array(size * size);
    const games = new Float64Array(size * size);
    const game = (i: number, j: number, outcome: number) => {
      wins[i * size + j] = (wins[i * size + j] as number) + outcome;
      wins[j * size + i] = (wins[j * size + i] as number) + 1 - outcome;
      games[i * size + j] = (games[i * size + j] as number) + 1;
      games[j * size + i] = (games[j * size + i] as number) + 1;
    };
    assignment.forEach((cluster, row) => {
      if (cluster !== c) return;
      const observed: number[] = [];
      for (let k = 0; k < m; k++) if (!Number.isNaN(scores[row * m + k])) observed.push(k);
      if (observed.length === 1) {
        const k = observed[0] as number;
        game(k, m, scores[row * m + k] as number);
        return;
      }
      for (let a = 0; a < observed.length; a++) {
        for (let b = a + 1; b < observed.length; b++) {
          const i = observed[a] as number;
          const j = observed[b] as number;
          game(i, j, 0.5 + ((scores[row * m + i] as number) - (scores[row * m + j] as number)) / 2);
        }
      }
    });
    const theta = new Float64Array(size);
    const maxGames = Math.max(
      1,
      ...Array.from({ length: m }, (_, i) =>
        games.subarray(i * size, (i + 1) * size).reduce((a, b) => a + b, 0),
      ),
    );
    const rate = 4 / maxGames;
    for (let it = 0; it < iterations; it++) {
      const grad = new Float64Array(size);
      for (let i = 0; i < m; i++) {
        let g = -0.01 * (theta[i] as number);
        for (let j = 0; j < size; j++) {
          const n = games[i * size + j] as number;
          if (n === 0) continue;
          g += (wins[i * size + j] as number) - n * sigmoid((theta[i] as number) - (theta[j] as number));
        }
        grad[i] = g;
      }
      for (let i = 0; i < m; i++) theta[i] = (theta[i] as number) + rate * (grad[i] as number);
    }
    for (let i = 0; i < m; i++) ratings[c * m + i] = 1000 + (theta[i] as number) * ELO_SCALE;
  }
  return ratings;
}
