import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/**
 * The custom search attributes certflow's workflows upsert. Registered by `npm start` on the
 * dev server (and by operators on any other cluster: see README), so the Web UI and the API's
 * list endpoint can filter orders.
 */
export const OrderStatusKey = defineSearchAttributeKey('OrderStatus', SearchAttributeType.KEYWORD);
export const BillingOrderIdKey = defineSearchAttributeKey('BillingOrderId', SearchAttributeType.KEYWORD);
/** Every CA order id of the lineage (original, reissues): a push for any of them finds the order. */
export const CaOrderIdKey = defineSearchAttributeKey('CaOrderId', SearchAttributeType.KEYWORD_LIST);
export const CommonNameKey = defineSearchAttributeKey('CommonName', SearchAttributeType.KEYWORD);
export const ProductIdKey = defineSearchAttributeKey('ProductId', SearchAttributeType.KEYWORD);
export const NotAfterKey = defineSearchAttributeKey('NotAfter', SearchAttributeType.DATETIME);

/** Name → type as the Temporal CLI's `--search-attribute Name=Type` expects. */
export const SEARCH_ATTRIBUTES: Readonly<Record<string, 'Keyword' | 'KeywordList' | 'Datetime'>> = {
  OrderStatus: 'Keyword',
  BillingOrderId: 'Keyword',
  CaOrderId: 'KeywordList',
  CommonName: 'Keyword',
  ProductId: 'Keyword',
  NotAfter: 'Datetime',
};
