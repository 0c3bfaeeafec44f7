/**
 * Analytics over the history: which groups (positions, machines, builds, any part attribute or
 * event field) fail inspection more often than the others, with exact significance tests and a
 * correction for testing many groups.
 */
export { failureRates, parseGroupBy, type FailureRateQuery, type FailureRateReport, type FailureRateRow } from './failure-rates.js';
export { fisherExact, chiSquareHomogeneity, chiSquareSurvival, holmAdjust, bhAdjust, wilsonInterval } from './stats.js';
export { failureRateSvg } from './svg.js';
