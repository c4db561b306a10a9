/** A delivery failure that retrying cannot fix (a missing token, a 4xx answer). */
export class PermanentDeliveryError extends Error {}
