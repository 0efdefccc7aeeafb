/** The IRP's e-invoice JSON, schema version 1.1 (INV-01): the request body of "Generate IRN". */

export interface EinvoiceParty {
  Gstin: string;
  LglNm: string;
  TrdNm?: string;
  Addr1: string;
  Addr2?: string;
  Loc: string;
  Pin?: number;
  Stcd: string;
  Ph?: string;
  Em?: string;
}

export interface EinvoiceBuyer extends EinvoiceParty {
  /** Place of supply state code; 96 outside India. */
  Pos: string;
}

export interface EinvoiceItem {
  SlNo: string;
  PrdDesc?: string;
  IsServc: "Y" | "N";
  HsnCd: string;
  Qty?: number;
  Unit?: string;
  UnitPrice: number;
  TotAmt: number;
  Discount?: number;
  AssAmt: number;
  GstRt: number;
  IgstAmt?: number;
  CgstAmt?: number;
  SgstAmt?: number;
  CesRt?: number;
  CesAmt?: number;
  CesNonAdvlAmt?: number;
  StateCesRt?: number;
  StateCesAmt?: number;
  StateCesNonAdvlAmt?: number;
  OthChrg?: number;
  TotItemVal: number;
}

export interface EinvoicePayload {
  Version: "1.1";
  TranDtls: {
    TaxSch: "GST";
    SupTyp: "B2B" | "SEZWP" | "SEZWOP" | "EXPWP" | "EXPWOP" | "DEXP";
    RegRev?: "Y" | "N";
    EcmGstin?: string;
    IgstOnIntra?: "Y" | "N";
  };
  DocDtls: { Typ: "INV" | "CRN" | "DBN"; No: string; Dt: string };
  SellerDtls: EinvoiceParty;
  BuyerDtls: EinvoiceBuyer;
  ShipDtls?: EinvoiceParty;
  ItemList: EinvoiceItem[];
  ValDtls: {
    AssVal: number;
    CgstVal?: number;
    SgstVal?: number;
    IgstVal?: number;
    CesVal?: number;
    StCesVal?: number;
    Discount?: number;
    OthChrg?: number;
    RndOffAmt?: number;
    TotInvVal: number;
  };
  PayDtls?: { CrDay?: number; PaidAmt?: number; PaymtDue?: number };
  RefDtls?: { PrecDocDtls?: Array<{ InvNo: string; InvDt: string }> };
  ExpDtls?: { ShipBNo?: string; ShipBDt?: string; Port?: string; ForCur?: string; CntCode?: string };
}
