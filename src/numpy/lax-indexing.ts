/**
 * @file (being written)
 */
export {};
