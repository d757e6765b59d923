/**
 * @saferouter/errors: the one error family every SafeRouter package extends, and the
 * bad-argument error the packages' boundary checks throw. No dependencies.
 */
export * from './safe-router-error.js';
export * from './invalid-argument-error.js';
