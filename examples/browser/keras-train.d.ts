/**
 * @file Types of keras-train.js (plain JavaScript so that browsers load it unbundled), for the
 * TypeScript test that imports it.
 */
export interface KerasConfig {
  readonly samples: number;
  readonly classes: number;
  readonly hidden: number;
  readonly epochs: number;
  readonly batchSize: number;
  readonly learningRate: number;
  readonly seed: number;
}
export interface KerasResult {
  /** Per epoch: `loss` and `accuracy`. */
  history: Record<string, number[]>;
  final: { loss: number; accuracy: number };
}
export declare const KERAS_CONFIG: KerasConfig;
export declare const CENTRES: readonly (readonly number[])[];
export declare function makeClusters(config?: KerasConfig): { x: Float32Array; y: Int32Array };
export declare function trainKeras(
  kiln: typeof import("../../src/index.js"),
  nn: typeof import("../../src/nn/index.js"),
  options?: { config?: KerasConfig; onEpoch?: (epoch: number, logs?: Record<string, number>) => void | Promise<void> },
): Promise<KerasResult>;
