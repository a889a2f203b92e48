-- Adoption is not undone: the added columns hold data, and the enum type
-- and the TEXT columns are what the predecessor's scheduler and earlier
-- ghfe versions work with. Nothing to revert.
SELECT 1;
