/**
 * A zod issue in words a client can act on: what was expected and what was sent ("expected a number, got a
 * string ("5")"), "is required" only when the field is absent. Needs the input on each issue: parse with
 * `{ reportInput: true }` (zod 4 leaves it out otherwise, and every wrong type would read as missing).
 */
import type { z } from 'zod';

const expectedNames: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'a boolean',
  object: 'an object',
  record: 'an object',
  array: 'an array',
  null: 'null',
};

/** What a value is, with the value itself when it is short enough to quote. */
export function describeValue(input: unknown): string {
  if (input === null) return 'null';
  if (Array.isArray(input)) return 'an array';
  switch (typeof input) {
    case 'string':
      return `a string (${JSON.stringify(input.length > 40 ? `${input.slice(0, 40)}…` : input)})`;
    case 'number':
      return Number.isInteger(input) ? `an integer (${input})` : `a number (${input})`;
    case 'boolean':
      return `a boolean (${input})`;
    case 'object':
      return 'an object';
    default:
      return typeof input;
  }
}

const expectedName = (expected: string) => expectedNames[expected] ?? expected;

/** The branches' expected types of a union ("a string or a number"), when each branch failed on its type. */
function unionExpectation(issue: z.core.$ZodIssueInvalidUnion): string | null {
  const names = issue.errors.map((branch) => {
    const typeIssue = branch.find((i) => i.code === 'invalid_type' && i.path.length === 0);
    return typeIssue?.code === 'invalid_type' ? expectedName(typeIssue.expected) : null;
  });
  if (names.length === 0 || names.some((n) => n === null)) return null;
  return [...new Set(names)].join(' or ');
}

export function issueMessage(issue: z.core.$ZodIssue): string {
  const { input } = issue as { input?: unknown };
  switch (issue.code) {
    case 'invalid_type':
      return input === undefined
        ? 'is required'
        : `expected ${expectedName(issue.expected)}, got ${describeValue(input)}`;
    case 'invalid_value':
      return `expected ${issue.values.map((v) => JSON.stringify(v)).join(' or ')}, got ${describeValue(input)}`;
    case 'invalid_union': {
      if (input === undefined) return 'is required';
      const expected = unionExpectation(issue);
      // A value of an accepted type that a branch refused: that branch's own message says why.
      if (!expected) return issue.errors.flat()[0]?.message ?? issue.message;
      return `expected ${expected}, got ${describeValue(input)}`;
    }
    default:
      return issue.message;
  }
}
