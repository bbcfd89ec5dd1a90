/** Where the upgrade prompts and the License page send an operator who wants Enterprise. */
export const PRICING_URL = 'https://www.penguintech.io/marchproxy/pricing';
