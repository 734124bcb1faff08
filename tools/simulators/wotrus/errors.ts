/**
 * Every business failure's errorMsg, in WoTrus's style (Chinese first) with an English part
 * that names the field, so a log line tells an operator what to fix. Exported so tests
 * assert the exact text and docs/simulator.md can list them.
 */
import type { CsrProblem } from './csr';

export const SIM_ERRORS = {
  invalidJson: () => '请求格式错误 (request body is not valid JSON)',
  badBody: (detail: string) => `请求参数错误 (request body does not match the API: ${detail})`,
  orderInfoRequired: () => '订单信息不能为空 (orderinfoPost is required)',
  productRequired: () => '产品ID不能为空 (productID is required)',
  unknownProduct: (id: string) => `产品不存在 (unknown productID: ${id})`,
  commonNameRequired: () => '证书主题CN不能为空 (commonName is required)',
  commonNameInvalid: (cn: string) => `域名格式错误 (commonName is not a valid domain name: ${cn})`,
  hostInvalid: (h: string) => `域名格式错误 (hosts contains an invalid domain name: ${h})`,
  monthInvalid: (m: unknown) => `月份取值错误 (month must be one of 12, 13, 24, 25; got ${JSON.stringify(m) ?? 'nothing'})`,
  csr: (field: string, p: CsrProblem): string => {
    switch (p.kind) {
      case 'missing':
        return `CSR不能为空 (${field} is required)`;
      case 'not-pem':
        return `CSR格式错误 (${field} is not a PEM certificate request)`;
      case 'bad-signature':
        return `CSR签名验证失败 (${field} self-signature is invalid)`;
      case 'rsa-too-small':
        return `CSR密钥长度不足 (${field} RSA key must be at least 2048 bits, got ${p.bits})`;
      case 'unsupported-key':
        return `CSR密钥算法不支持 (${field} key algorithm ${p.algorithm} is not supported; use RSA >= 2048, ECDSA P-256/P-384, or SM2 for SM2 products)`;
    }
  },
  /** V1.02: "the parameter follows the CSR's type" — SM2 keys in Csr_Sign / csr_Encrypt, RSA/ECC keys in csR_RSA. */
  csrKeyType: (field: string, wanted: 'SM2' | 'RSA or ECDSA', got: string) => `CSR密钥类型错误 (${field} must carry an ${wanted} key; got ${got})`,
  bindRsaProductInvalid: (id: string) => `绑定的RSA产品不存在 (BindRSAProductID must name an RSA SSL product; got ${id})`,
  rsaCsrRequiredForBind: () => 'RSA证书CSR不能为空 (csR_RSA is required with BindRSAProductID)',
  encryptCsrRequired: () => 'SM2加密证书CSR不能为空 (csR_Encrypt is required to reissue an SM2 certificate)',
  orgRequired: () => '单位信息不能为空 (organizationPost is required for this product)',
  orgNameRequired: () => '单位名称不能为空 (organizationPost.OrgName is required)',
  countryCodeRequired: () => '国家代码不能为空 (organizationPost.countryCode is required)',
  countryCodeInvalid: (c: string) => `国家代码错误 (organizationPost.countryCode must be two letters, e.g. CN; got ${c})`,
  businessCategoryInvalid: (c: string) =>
    `单位类型错误 (organizationPost.BusinessCategory must be one of Business Entity, Private Organization, Government Entity, Non-Commercial Entity; got ${c})`,
  documentInvalid: (i: number, field: string) => `材料格式错误 (documentsPost[${i}].${field} is invalid)`,
  orderIdRequired: (field: string) => `订单ID不能为空 (${field} is required)`,
  orderNotFound: (id: string) => `订单不存在 (order not found: ${id})`,
  notIssuedYet: (status: string) => `证书尚未签发 (certificate not issued yet: status=${status})`,
  reasonRequired: () => '原因不能为空 (reason is required)',
  fileTypeRequired: () => '材料格式不能为空 (fileType is required)',
  fileContentRequired: () => '材料内容不能为空 (fileContent is required)',
  proofRequiredForProduct: () => 'SM2和Sectigo产品必须提供吊销证明材料 (fileType and fileContent are required for SM2 and Sectigo products)',
  revokeNotIssued: (status: string) => `订单未签发，不能吊销 (only an issued certificate can be revoked: status=${status})`,
  reissueNotIssued: (status: string) => `订单未签发，不能重新颁发 (only an issued order can be reissued: status=${status})`,
  collectUrlRequired: () => '下载证书网址不能为空 (collectUrl is required)',
  collectUrlInvalid: (u: string) => `下载证书网址格式错误 (collectUrl must be an http(s) URL; got ${u})`,
  emailNotIssued: (status: string) => `证书尚未签发，不能发送通知 (certificate not issued: status=${status})`,
} as const;

/** cancelFailedReason values (cancel answers isSuccess:true, cancelResult:false). */
export const CANCEL_REASONS = {
  issued: '证书已签发',
  revoked: '证书已吊销',
  rejected: '订单已被拒绝',
  revoking: '证书已签发，正在吊销',
} as const;
