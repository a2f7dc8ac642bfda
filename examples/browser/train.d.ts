/**
 * @file Types of train.js (plain JavaScript so that browsers load it unbundled), for the
 * TypeScript test that imports it.
 */
export interface TrainConfig {
  readonly samples: number;
  readonly features: number;
  readonly steps: number;
  readonly learningRate: number;
  readonly seed: number;
}
export interface TrainResult {
  losses: number[];
  finalParams: { w: number[]; b: number };
}
export declare const CONFIG: TrainConfig;
export declare const TRUE_W: readonly number[];
export declare const TRUE_B: number;
export declare function makeData(config?: TrainConfig): { x: Float32Array; y: Float32Array };
export declare function train(
  kiln: typeof import("../../src/index.js"),
  options?: { config?: TrainConfig; onStep?: (step: number, loss: number) => void | Promise<void> },
): Promise<TrainResult>;
