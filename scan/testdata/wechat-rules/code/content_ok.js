// "slot" and "bet" inside words are not gambling: slotMachineName, alphabet.
const alphabet = 'abcdefghijklmnopqrstuvwxyz'
const slotName = 'header-slot'
