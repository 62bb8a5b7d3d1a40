import { useCallback } from 'react';
import { useTranslation } from 'react-i18next';
import {
  SEGMENT_PROBLEM_CODES,
  type SegmentProblemCode,
} from '../../../../src/modules/segments/segment-definition.ts';

/** A problem as the API reports it: the English `message`, and for segment trees a `code` with `params`. */
export interface ReportedProblem {
  message: string;
  code?: string;
  params?: Record<string, string | number>;
}

type Translate = (key: string, options?: Record<string, unknown>) => string;

const KNOWN = new Set<string>(SEGMENT_PROBLEM_CODES);

/** The i18n key of each code (`segments.problems.<code>`): every code the validator has is translated. */
export const problemKey = (code: SegmentProblemCode) => `segments.problems.${code}` as const;

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

export function useProblemText() {
  const { t } = useTranslation();
  return useCallback((problem: ReportedProblem) => problemText(t as unknown as Translate, problem), [t]);
}
