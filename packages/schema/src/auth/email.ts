/** What the API accepts as an email address, for sign-up and for invitations alike. */
export const EMAIL_PATTERN = /^[^\s@]{1,64}@[^\s@]{1,255}\.[^\s@]{1,63}$/;
