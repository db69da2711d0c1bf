import { describe, expect, it } from "vitest";
import { Fifo } from "./fifo";

describe("Fifo", () => {
  it("hands items back oldest first, by one or in runs", () => {
    const fifo = new Fifo<number>();
    for (let i = 0; i < 5; i++) fifo.push(i);
    expect(fifo.shift()).toBe(0);
    expect(fifo.take(3)).toEqual([1, 2, 3]);
    expect(fifo.take(10)).toEqual([4]);
    expect(fifo.length).toBe(0);
    expect(fifo.shift()).toBeUndefined();
    expect(fifo.take(2)).toEqual([]);
  });

  it("stays in order across compactions", () => {
    const fifo = new Fifo<number>();
    let next = 0;
    let expected = 0;
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < 997; i++) fifo.push(next++);
      for (let i = 0; i < 400; i++) expect(fifo.shift()).toBe(expected++);
      for (const item of fifo.take(500)) expect(item).toBe(expected++);
    }
    expect(fifo.length).toBe(next - expected);
  });
});
