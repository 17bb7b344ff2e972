"""Who a buyer is and who speaks: platforms and their words, normalised buyer ids,
the keyed hashes and masks that stand in for phone numbers and addresses (PIPL: never
kept in clear), the redaction of free text, and chat accounts. The floor every other
package stands on: it imports nothing of the bot but its errors."""
