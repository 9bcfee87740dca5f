import { describe, expect, it } from 'vitest';
import { abilityFor, MUTATION_PERMISSIONS, roleCan } from './abilities.ts';

describe('abilities', () => {
  it('gives viewers reads only, members plans and runs, admins everything', () => {
    const allowed = (role: 'ADMIN' | 'MEMBER' | 'VIEWER') =>
      Object.entries(MUTATION_PERMISSIONS)
        .filter(([, [action, subject]]) => roleCan(role, action, subject))
        .map(([name]) => name);
    expect(allowed('VIEWER')).toEqual(['createApiToken']);
    expect(allowed('MEMBER')).toEqual([
      'createApiToken',
      'createPlan',
      'updatePlan',
      'draftPlan',
      'startAbExecution',
      'startExecution',
      'startRegressionTest',
      'pauseExecution',
      'resumeExecution',
      'cancelExecution',
      'cancelExecutions',
      'retryExecution',
      'retryExecutions',
      'rollbackExecution',
      'rerunExecution',
      'decideApproval',
      'createSchedule',
      'updateSchedule',
      'deleteSchedule',
      'createEventTrigger',
      'deleteEventTrigger',
      'sendEvent',
    ]);
    expect(abilityFor('MEMBER').can('create', 'PluginInstallation')).toBe(false);
    expect(abilityFor('MEMBER').can('create', 'Secret')).toBe(false);
    expect(allowed('ADMIN')).toEqual(Object.keys(MUTATION_PERMISSIONS));
    expect(abilityFor('VIEWER').can('read', 'Execution')).toBe(true);
    expect(abilityFor('MEMBER').can('read', 'AuditLog')).toBe(false);
    expect(abilityFor('MEMBER').can('run', 'Execution')).toBe(true);
    expect(abilityFor('VIEWER').can('run', 'Execution')).toBe(false);
    expect(abilityFor('VIEWER').can('read', 'Schedule')).toBe(true);
    expect(abilityFor('VIEWER').can('create', 'Event')).toBe(false);
  });
});
