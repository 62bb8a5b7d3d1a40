import { useCallback } from 'react';
import { useTranslation } from 'react-i18next';
import { QUERY_ERROR_CODES, type QueryErrorCode } from '../../../../src/modules/segments/query-syntax.ts';
import {
  SEGMENT_PROBLEM_CODES,
  type SegmentProblemCode,
} from '../../../../src/modules/segments/segment-definition.ts';
import type en from '../../i18n/en.json';

/** A problem as the API reports it: the English `message`, and for segment trees a `code` with `params`. */
export interface ReportedProblem {
  message: string;
  code?: string;
  params?: Record<string, string | number>;
}

type Translate = (key: string, options?: Record<string, unknown>) => string;

const KNOWN = new Set<string>(SEGMENT_PROBLEM_CODES);
const KNOWN_QUERY_ERRORS = new Set<string>(QUERY_ERROR_CODES);

/** The i18n key of each code (`segments.problems.<code>`): every code the validator has is translated. */
export const problemKey = (code: SegmentProblemCode) => `segments.problems.${code}` as const;

type QueryErrorWordings = (typeof en)['segments']['queryErrors'];

/**
 * The i18n key of each query syntax error (`segments.queryErrors.<code>`). Typed by the English
 * wordings: a code of the parser without one does not compile.
 */
export const queryErrorKey = (code: QueryErrorCode): `segments.queryErrors.${keyof QueryErrorWordings}` =>
  `segments.queryErrors.${code}`;

/**
 * A problem in the reader's language: from its code and params when the dashboard knows the code,
 * else the server's English message (a newer server, or a problem without a code).
 */
export function problemText(t: Translate, problem: ReportedProblem): string {
  if (!problem.code || !KNOWN.has(problem.code)) return problem.message;
  const params: Record<string, unknown> = { ...problem.params };
  // `got` says what was given (a list, text…): a word of the reader's language too.
  if (typeof params.got === 'string') params.got = t(`segments.problemKinds.${params.got}`);
  return t(problemKey(problem.code as SegmentProblemCode), params);
}

/**
 * A syntax error of the one-line query in the reader's language, as problemText does for trees: the
 * server's English message for a code the dashboard does not know. A "did you mean" suggestion is
 * its own sentence after the error, so every code can have one without a second wording.
 */
export function queryErrorText(t: Translate, error: ReportedProblem): string {
  if (!error.code || !KNOWN_QUERY_ERRORS.has(error.code)) return error.message;
  const params: Record<string, unknown> = { ...error.params };
  // `argument` names what was repeated (the period, the channel…): a word of the reader's language too.
  if (typeof params.argument === 'string')
    params.argument = t(`segments.queryErrorArguments.${params.argument}`);
  const text = t(queryErrorKey(error.code as QueryErrorCode), params);
  if (typeof params.suggestion !== 'string') return text;
  return `${text}. ${t('segments.query.didYouMean', { suggestion: params.suggestion })}`;
}

export function useProblemText() {
  const { t } = useTranslation();
  return useCallback((problem: ReportedProblem) => problemText(t as unknown as Translate, problem), [t]);
}

export function useQueryErrorText() {
  const { t } = useTranslation();
  return useCallback((error: ReportedProblem) => queryErrorText(t as unknown as Translate, error), [t]);
}
