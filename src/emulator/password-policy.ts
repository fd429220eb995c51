import { CognitoError } from './admin/errors';

/** The pool's password policy (DescribeUserPool shows it): 8+ characters, upper, lower, digit and symbol. */
export const PASSWORD_POLICY_MESSAGE =
  'Password did not conform with policy: Password must have uppercase, lowercase, numeric and symbol characters and at least 8 characters';

export function meetsPasswordPolicy(password: string): boolean {
  return password.length >= 8 && /[A-Z]/.test(password) && /[a-z]/.test(password) && /\d/.test(password) && /[^A-Za-z0-9]/.test(password);
}

/** Throws InvalidPasswordException, as Cognito does, for a password the policy refuses. */
export function checkPasswordPolicy(password: string): void {
  if (!meetsPasswordPolicy(password)) throw new CognitoError('InvalidPasswordException', PASSWORD_POLICY_MESSAGE);
}
