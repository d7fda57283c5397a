"""Reading one scanned check: the MICR line by E-13B glyph matching, the amounts, date, payer and
memo by Tesseract, each field with a confidence and a flag for review. No Django in here: the
upload and review pages call it with the bytes of an image and store what it returns."""
