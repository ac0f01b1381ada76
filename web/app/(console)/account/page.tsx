'use client';
import { ChangePasswordForm } from '@/components/account/ChangePasswordForm';
import { TokensCard } from '@/components/account/TokensCard';
import { PageHead } from '@/components/PageHead';

export default function AccountPage() {
  return (
    <>
      <PageHead title="Account" />
      <div className="dash-grid">
        <TokensCard />
        <div className="card">
          <div className="card-head">
            <h2>Password</h2>
          </div>
          <div className="card-body">
            <ChangePasswordForm />
          </div>
        </div>
      </div>
    </>
  );
}
