/** What a complaint is about. Stored as text in mentions.complaint_category. */
export const complaintCategories = [
  "crash",
  "performance",
  "login",
  "payment",
  "ads",
  "bug",
  "privacy",
  "service",
  "update",
  "content",
  "other",
] as const;
export type ComplaintCategory = (typeof complaintCategories)[number];

export type SentimentLabel = "negative" | "neutral" | "positive";
