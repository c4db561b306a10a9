import { CATEGORIES, Category, ClassificationReason, SEVERITIES, Severity } from '@sladesk/contracts';
import { ArrayNotEmpty, IsArray, IsIn, IsNotEmpty, IsOptional, IsString, MaxLength } from 'class-validator';

/** Words that, found in a subject or description, set a category and/or a severity. */
export class ClassificationRule {
  @IsString() @IsNotEmpty() @MaxLength(100) name!: string;
  @IsArray() @ArrayNotEmpty() @IsString({ each: true }) @IsNotEmpty({ each: true }) keywords!: string[];
  @IsOptional() @IsIn(CATEGORIES) category?: Category;
  @IsOptional() @IsIn(SEVERITIES) severity?: Severity;
}

const rule = (
  name: string,
  keywords: string[],
  category?: Category,
  severity?: Severity,
): ClassificationRule =>
  Object.assign(new ClassificationRule(), {
    name,
    keywords,
    ...(category ? { category } : {}),
    ...(severity ? { severity } : {}),
  });

/** Ordered: for each field the first matching rule that sets it wins. */
export const DEFAULT_CLASSIFICATION_RULES: ClassificationRule[] = [
  rule(
    'outage',
    ['down', 'outage', 'cannot log in', "can't log in", 'unable to log in', 'not loading', 'data loss'],
    'technical',
    'critical',
  ),
  rule(
    'security',
    ['security', 'vulnerability', 'breach', 'phishing', 'unauthorized access'],
    'security',
    'high',
  ),
  rule('malfunction', ['error', 'bug', 'broken', 'fails', 'failing', 'crash', 'slow'], 'technical', 'high'),
  rule('billing', ['invoice', 'billing', 'refund', 'charged', 'payment'], 'billing'),
  rule('feature', ['feature request', 'would be nice', 'suggestion'], 'feature', 'low'),
  rule('how-to', ['how do i', 'how to', 'where can i', 'is it possible'], 'how-to', 'low'),
];

export interface Classified {
  severity: Severity;
  category: Category;
  reasons: { severity: ClassificationReason; category: ClassificationReason };
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Explicit values win; otherwise the rules decide, word by word; otherwise normal / other. */
export class Classifier {
  private readonly compiled: { rule: ClassificationRule; patterns: { keyword: string; re: RegExp }[] }[];

  constructor(rules: ClassificationRule[]) {
    this.compiled = rules.map((r) => ({
      rule: r,
      patterns: r.keywords.map((k) => ({
        keyword: k,
        re: new RegExp(`(^|[^\\p{L}\\p{N}])${escape(k.toLowerCase())}($|[^\\p{L}\\p{N}])`, 'u'),
      })),
    }));
  }

  classify(input: {
    subject: string;
    description: string;
    severity?: Severity;
    category?: Category;
  }): Classified {
    const text = `${input.subject}\n${input.description}`.toLowerCase();
    let severity: [Severity, ClassificationReason] | undefined = input.severity && [
      input.severity,
      { source: 'explicit' },
    ];
    let category: [Category, ClassificationReason] | undefined = input.category && [
      input.category,
      { source: 'explicit' },
    ];
    for (const { rule: r, patterns } of this.compiled) {
      if ((severity || !r.severity) && (category || !r.category)) continue;
      const hit = patterns.find((p) => p.re.test(text));
      if (!hit) continue;
      const reason: ClassificationReason = { source: 'rule', rule: r.name, matched: hit.keyword };
      if (!severity && r.severity) severity = [r.severity, reason];
      if (!category && r.category) category = [r.category, reason];
      if (severity && category) break;
    }
    severity ??= ['normal', { source: 'default' }];
    category ??= ['other', { source: 'default' }];
    return {
      severity: severity[0],
      category: category[0],
      reasons: { severity: severity[1], category: category[1] },
    };
  }
}
