package parley.account;

import parley.http.Principal;

/** Who a verified token speaks for, and until when (epoch seconds). */
public record Identity(Principal principal, long expiresAt) {
}
