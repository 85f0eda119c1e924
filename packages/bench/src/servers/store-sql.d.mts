export declare const STORE_SQL: string;
