import { Classifier, DEFAULT_CLASSIFICATION_RULES } from './classifier';

describe(Classifier.name, () => {
  const sut = new Classifier(DEFAULT_CLASSIFICATION_RULES);
  const classify = (subject: string, description = '', explicit: object = {}) =>
    sut.classify({ subject, description, ...explicit });

  it('makes an outage technical and critical, and says which words decided', () => {
    expect(classify('The platform is down')).toEqual({
      severity: 'critical',
      category: 'technical',
      reasons: {
        severity: { source: 'rule', rule: 'outage', matched: 'down' },
        category: { source: 'rule', rule: 'outage', matched: 'down' },
      },
    });
    expect(classify('Help', 'Our agents cannot log in since 9am').severity).toBe('critical');
  });

  it('files an invoice question under billing with the default severity', () => {
    expect(classify('Question about invoice 42')).toMatchObject({
      category: 'billing',
      severity: 'normal',
      reasons: { severity: { source: 'default' }, category: { source: 'rule', rule: 'billing' } },
    });
  });

  it('lets explicit fields win over any rule', () => {
    expect(classify('Everything is down', '', { severity: 'low', category: 'other' })).toMatchObject({
      severity: 'low',
      category: 'other',
      reasons: { severity: { source: 'explicit' }, category: { source: 'explicit' } },
    });
    expect(classify('Everything is down', '', { severity: 'high' })).toMatchObject({
      severity: 'high',
      category: 'technical',
    });
  });

  it('matches whole words only', () => {
    expect(classify('Download of the report', 'Downtown office').severity).toBe('normal');
  });

  it('takes each field from the first rule that sets it', () => {
    const custom = new Classifier([
      { name: 'money', keywords: ['invoice'], category: 'billing' },
      { name: 'urgent', keywords: ['urgent'], severity: 'high', category: 'technical' },
    ]);
    expect(custom.classify({ subject: 'URGENT: invoice wrong', description: '' })).toMatchObject({
      category: 'billing',
      severity: 'high',
    });
  });
});
