/**
 * What certflow needs to know per CA product. The three document-signing GUIDs and
 * "超快 SSL V1" come from the WoTrus document; the others are the simulator's products
 * (a real deployment lists its contracted products here or in configuration).
 */
export interface ProductInfo {
  name: string;
  kind: 'dv' | 'ov' | 'ev' | 'sm2' | 'pdf';
  /** SM2 and Sectigo: the CA revokes the replaced certificate itself after a reissue. */
  caRevokesReplaced: boolean;
}

export const PRODUCTS: Readonly<Record<string, ProductInfo>> = {
  '76ECE651-B59E-48F2-A47B-135614AADAD9': { name: 'PDF sign + encrypt', kind: 'pdf', caRevokesReplaced: false },
  '2C17C336-A772-42F8-B3DD-4F2591A5B116': { name: 'Organisation document signing', kind: 'pdf', caRevokesReplaced: false },
  'D4D30B75-68D5-471C-B66A-21299F1DFAA5': { name: 'Personal document signing', kind: 'pdf', caRevokesReplaced: false },
  '30B3F256-9D2D-43C5-ABCB-017AA9D3CB6D': { name: '超快 SSL V1', kind: 'dv', caRevokesReplaced: false },
  '2E80A645-CB80-4EC3-ACCD-729EBBBDCBBB': { name: 'RSA DV SSL (simulator)', kind: 'dv', caRevokesReplaced: false },
  'F6E8DB8D-C5F7-4BE9-8750-B6537CCF1B96': { name: 'RSA OV SSL (simulator)', kind: 'ov', caRevokesReplaced: false },
  '587FF659-72E0-4882-90F5-287A2452DC77': { name: 'RSA EV SSL (simulator)', kind: 'ev', caRevokesReplaced: false },
  '13CBA8EE-2D09-4953-871B-C90531BB64A5': { name: 'SM2 DV SSL (simulator)', kind: 'sm2', caRevokesReplaced: true },
  '05F459B2-0F81-4653-B3C3-F9CF7C90608E': { name: 'Sectigo DV SSL (simulator)', kind: 'dv', caRevokesReplaced: true },
};

export const productInfo = (productId: string): ProductInfo | undefined => PRODUCTS[productId.toUpperCase()];
