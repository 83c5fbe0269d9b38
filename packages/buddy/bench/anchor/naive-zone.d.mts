export declare function createZone(nrPages: number): unknown;
